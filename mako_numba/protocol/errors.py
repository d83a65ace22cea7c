"""Redis 7's error replies, word for word, in one place.

Rules:
- Every error text the server can send is here, copied from Redis 7.0
  (src/networking.c, src/server.c, src/t_string.c ...), without the leading
  '-' and trailing CRLF.  Tests assert the exact bytes.
- Kernels cannot read Python strings, so the fixed replies that kernels write
  are also packed into one byte blob addressed by the integer ids LIT_*
  (KERNEL_LITERALS here, and each family's LITERALS); `commands.registry.lit_tables()` gives
  the arrays the kernels receive.
- Errors that embed user data (unknown command, wrong arity) have a prefix and
  a suffix here; the writer puts the user's bytes between them.
"""

# --- protocol errors (networking.c); the connection is closed after them -----
PROTO_INVALID_MULTIBULK = "ERR Protocol error: invalid multibulk length"
PROTO_INVALID_BULK = "ERR Protocol error: invalid bulk length"
PROTO_EXPECTED_DOLLAR = "ERR Protocol error: expected '$', got '%c'"
PROTO_UNBALANCED = "ERR Protocol error: unbalanced quotes in request"
PROTO_BIG_INLINE = "ERR Protocol error: too big inline request"
PROTO_BIG_MBULK = "ERR Protocol error: too big mbulk count string"
PROTO_BIG_BULK = "ERR Protocol error: too big bulk count string"

# --- command errors ------------------------------------------------------------
UNKNOWN_COMMAND = "ERR unknown command '%s', with args beginning with: %s"
UNKNOWN_SUBCOMMAND = "ERR unknown subcommand '%s'. Try %s HELP."
ARITY_TEXT = "wrong number of arguments for '%s' command"
WRONG_ARITY = "ERR " + ARITY_TEXT
SYNTAX = "ERR syntax error"
NOT_INTEGER = "ERR value is not an integer or out of range"
OUT_OF_RANGE_DB = "ERR DB index is out of range"
NOPROTO = "NOPROTO unsupported protocol version"
PROTOCOL_VERSION_INVALID = "ERR Protocol version is not an integer or out of range"
NO_SUCH_CLIENT = "ERR No such client"
HELLO_SYNTAX = "ERR Syntax error in HELLO option '%s'"
CLIENT_NAME_SPACES = "ERR Client names cannot contain spaces, newlines or special characters."
CLIENT_SETINFO_BAD_ATTR = "ERR Unrecognized option '%s'"
CLIENT_SETINFO_SPACES = "ERR %s cannot contain spaces, newlines or special characters."
CONFIG_SET_FAILED = "ERR CONFIG SET failed (possibly related to argument '%s') - %s"
AOF_START_FAILED = "Unable to turn on AOF. Check server logs."
OBUF_WRONG_COUNT = "Wrong number of arguments in buffer limit configuration."
OBUF_BAD_CLASS = "Invalid client class specified in buffer limit configuration."
OBUF_BAD_VALUE = "Error in hard, soft or soft_seconds setting in buffer limit configuration."
MEMORY_OR_PERCENT = "argument must be a memory or percent value"
PERCENT_ABOVE_100 = "percentage argument must be less or equal to 100"
LISTEN_PORT_FAILED = "Unable to listen on this port. Check server logs."
BIND_FAILED = "Failed to bind to specified addresses."
MAXCLIENTS_OS = ("The operating system is not able to handle the specified number of clients, "
                 "try with %d")
NO_CONFIG_FILE = "ERR The server is running without a config file"
CONFIG_UNKNOWN_PARAM = "ERR Unknown option or number of arguments for CONFIG SET - '%s'"
INVALID_EXPIRE = "ERR invalid expire time in '%s' command"
INCR_OVERFLOW = "ERR increment or decrement would overflow"
DECR_OVERFLOW = "ERR decrement would overflow"
OFFSET_RANGE = "ERR offset is out of range"
STRING_TOO_BIG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
EXPIRE_NX_COMBO = "ERR NX and XX, GT or LT options at the same time are not compatible"
EXPIRE_GT_LT = "ERR GT and LT options at the same time are not compatible"
UNSUPPORTED_OPTION = "ERR Unsupported option %s"
NO_SUCH_KEY = "ERR no such key"
INT_RANGE = "ERR value is out of range, value must between -2147483648 and 2147483647"
SAME_OBJECT = "ERR source and destination objects are the same"
INVALID_CURSOR = "ERR invalid cursor"
SWAPDB_FIRST = "ERR invalid first DB index"
SWAPDB_SECOND = "ERR invalid second DB index"
NOAUTH = "NOAUTH Authentication required."
NOAUTH_HELLO = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
AUTH_NOT_CONFIGURED = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
NOT_SUPPORTED = "ERR %s is not supported by this server"
CLIENT_UNKNOWN_TYPE = "ERR Unknown client type '%s'"
INVALID_CLIENT_ID = "ERR Invalid client ID"
CLIENT_ID_POSITIVE = "ERR client-id should be greater than 0"
NO_SUCH_USER = "ERR No such user '%s'"
OBJECT_FREQ_NOT_LFU = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
OBJECT_IDLETIME_LFU = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
DEBUG_SUBCOMMAND = "ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP."
DEBUG_NOT_ALLOWED = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
GETKEYS_INVALID_COMMAND = "ERR Invalid command specified"
GETKEYS_NO_KEYS = "ERR The command has no key arguments"
GETKEYS_ARITY = "ERR Invalid number of arguments specified for command"
GETKEYS_INVALID_ARGS = "ERR Invalid arguments specified for command"
DEBUG_RELOAD_OPTION = "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."
DEBUG_RELOAD_LOAD = "ERR Error trying to load the RDB dump"
GENERIC_ERR = "ERR"
BIT_OFFSET = "ERR bit offset is not an integer or out of range"
BIT_VALUE = "ERR bit is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
FLOAT_NAN_INF = "ERR increment would produce NaN or Infinity"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
HASH_NOT_INTEGER = "ERR hash value is not an integer"          # t_hash.c HINCRBY
HASH_NOT_FLOAT = "ERR hash value is not a float"               # t_hash.c HINCRBYFLOAT
OUT_OF_RANGE = "ERR value is out of range"                     # HRANDFIELD ... WITHVALUES
NAN_OR_INFINITY = "ERR value is NaN or Infinity"               # HINCRBYFLOAT's increment
MUST_BE_POSITIVE = "ERR value is out of range, must be positive"     # getPositiveLongFromObjectOrReply
NUMKEYS_POSITIVE = "ERR numkeys should be greater than 0"      # SINTERCARD
NUMKEYS_TOO_MANY = "ERR Number of keys can't be greater than number of args"
LIMIT_NEGATIVE = "ERR LIMIT can't be negative"
INDEX_OUT_OF_RANGE = "ERR index out of range"                  # LSET (shared.outofrangeerr)
LPOS_RANK_ZERO = ("ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
                  "second ... or use negative to start from the end of the list")
LPOS_COUNT_NEGATIVE = "ERR COUNT can't be negative"
LPOS_MAXLEN_NEGATIVE = "ERR MAXLEN can't be negative"
COUNT_POSITIVE = "ERR count should be greater than 0"          # LMPOP, BLMPOP ... COUNT
TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"     # getTimeoutFromObjectOrReply
TIMEOUT_NEGATIVE = "ERR timeout is negative"
UNBLOCKED = "UNBLOCKED client unblocked via CLIENT UNBLOCK"
UNBLOCK_REASON = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
SORT_SCORES = "ERR One or more scores can't be converted into double"
SRANDMEMBER_RANGE = ("ERR value is out of range, value must between -9223372036854775807 and "
                     "9223372036854775807")           # getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX), sic
ZADD_NAN = "ERR resulting score is not a number (NaN)"      # t_zset.c
ZADD_XX_NX = "ERR XX and NX options at the same time are not compatible"
ZADD_GT_LT_NX = "ERR GT, LT, and/or NX options at the same time are not compatible"
ZADD_INCR_PAIR = "ERR INCR option supports a single increment-element pair"
MINMAX_NOT_FLOAT = "ERR min or max is not a float"
MINMAX_NOT_LEX = "ERR min or max not valid string range item"
ZRANGE_LIMIT_RANK = ("ERR syntax error, LIMIT is only supported in combination with either BYSCORE "
                     "or BYLEX")
ZRANGE_WITHSCORES_LEX = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
WEIGHT_NOT_FLOAT = "ERR weight value is not a float"
AT_LEAST_ONE_KEY = "ERR at least 1 input key is needed for '%s' command"
LCS_NOT_STRINGS = "ERR The specified keys must contain string values"
LCS_LEN_AND_IDX = "ERR If you want both the length and indexes, please just use IDX."
LCS_TOO_LONG = "ERR String too long for LCS"
LCS_MEMORY = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
MULTI_NESTED = "ERR MULTI calls can not be nested"
EXEC_WITHOUT_MULTI = "ERR EXEC without MULTI"
DISCARD_WITHOUT_MULTI = "ERR DISCARD without MULTI"
WATCH_IN_MULTI = "ERR WATCH inside MULTI is not allowed"
EXECABORT = "EXECABORT Transaction discarded because of previous errors."
EXECABORT_BECAUSE = "EXECABORT Transaction discarded because of: %s"     # EXEC itself rejected
NO_MULTI = "ERR Command not allowed inside a transaction"
SLOWLOG_COUNT = "ERR count should be greater than or equal to -1"
MONITOR_DENY_BLOCKING = "ERR MONITOR isn't allowed for DENY BLOCKING client"
REPLICA_KEYSPACE = "ERR Replica can't interact with the keyspace"
OOM = "OOM command not allowed when used memory > 'maxmemory'."

# --- protected mode (networking.c): sent to a refused connection, which is then closed ---
DENIED_PROTECTED = (
    "DENIED Redis is running in protected mode because protected mode is enabled and no password "
    "is set for the default user. In this mode connections are only accepted from the loopback "
    "interface. If you want to connect from external computers to Redis you may adopt one of the "
    "following solutions: 1) Just disable protected mode sending the command 'CONFIG SET "
    "protected-mode no' from the loopback interface by connecting to Redis from the same host the "
    "server is running, however MAKE SURE Redis is not publicly accessible from internet if you do "
    "so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable "
    "the protected mode by editing the Redis configuration file, and setting the protected mode "
    "option to 'no', and then restarting the server. 3) If you started the server manually just "
    "for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication "
    "password for the default user. NOTE: You only need to do one of the above things in order for "
    "the server to start accepting connections from the outside.")

# --- persistence (rdb.c, server.c) -------------------------------------------------
BGSAVE_IN_PROGRESS = "ERR Background save already in progress"
SAVE_FAILED = "ERR"                 # shared.err: SAVE or BGSAVE could not write or fork
SHUTDOWN_FAILED = "ERR Errors trying to SHUTDOWN. Check logs."
BGSAVE_OTHER_CHILD = ("ERR Another child process is active (AOF?): can't BGSAVE right now. "
                      "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
AOF_REWRITE_IN_PROGRESS = "ERR Background append only file rewriting already in progress"
AOF_REWRITE_FAILED = ("ERR Can't execute an AOF background rewriting. Please check the server "
                      "logs for more information.")
SHUTDOWN_NOT_IN_PROGRESS = "ERR No shutdown in progress."
SHUTDOWN_DENY_BLOCKING = "ERR SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client"

# --- scripting (eval.c, script.c, script_lua.c) ----------------------------------------
NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL."
MAX_CLIENTS_REACHED = "ERR max number of clients reached"   # no slot for a script's client
NOTBUSY = "NOTBUSY No scripts in execution right now."
NUMKEYS_TOO_BIG = "ERR Number of keys can't be greater than number of args"
NUMKEYS_NEGATIVE = "ERR Number of keys can't be negative"
SCRIPT_COMPILE = "ERR Error compiling script (new function): %s"
SCRIPT_FLUSH_ARGS = "ERR SCRIPT FLUSH only support SYNC|ASYNC option"
SCRIPT_RUN_FAILED = "ERR Error running script %s, %.100s\n"
SCRIPT_ERROR_AT = " script: %s, on %s:%s."      # appended to a script's error with its place
SHEBANG_INVALID = "ERR Invalid script shebang"
SHEBANG_NO_ENGINE = "ERR Invalid engine in script shebang"
SHEBANG_ENGINE = "ERR Unexpected engine in script shebang: %s"
SHEBANG_FLAG = "ERR Unexpected flag in script shebang: %s"
SHEBANG_OPTION = "ERR Unknown lua shebang option: %s"
SCRIPT_RO_WRITE = "ERR Can not execute a script with write flag using *_ro command."
# raised inside a script by redis.call / redis.pcall ("ERR " is prefixed as luaPushError does)
LUA_NO_ARGS = "Please specify at least one argument for this redis lib call"
LUA_BAD_ARG = "Lua redis lib command arguments must be strings or integers"
LUA_UNKNOWN_COMMAND = "Unknown Redis command called from script"
LUA_WRONG_ARITY = "Wrong number of args calling Redis command from script"
LUA_NOT_ALLOWED = "This Redis command is not allowed from script"
LUA_WRITE_IN_RO = "Write commands are not allowed from read-only scripts."
LUA_ERROR_REPLY_ARGS = "wrong number or type of arguments"
LUA_READONLY_TABLE = "Attempt to modify a readonly table"
LUA_NO_GLOBAL = "Script attempted to access nonexistent global variable '%s'"
LUA_SETRESP_ARGS = "redis.setresp() requires one argument."
LUA_SETRESP_VALUE = "RESP version must be 2 or 3."
LUA_SHA1HEX_ARGS = "wrong number of arguments"
LUA_LOG_ARGS = "redis.log() requires two arguments or more."
LUA_LOG_LEVEL = "First argument must be a number (log level)."
LUA_LOG_LEVEL_RANGE = "Invalid debug level."

# --- fixed replies written by kernels ------------------------------------------
# KERNEL_LITERALS lists (name, bytes) in id order; each LIT_* below is its index
# there (tests/commands/test_families.py checks the names agree).  A family's own
# literals are declared in its module (commands/family.py); registry.lit_tables()
# assembles the blob from both.
KERNEL_LITERALS = []


def _lit(name, data):
    KERNEL_LITERALS.append((name, data))
    return len(KERNEL_LITERALS) - 1


LIT_OK = _lit("LIT_OK", b"+OK\r\n")
LIT_NIL2 = _lit("LIT_NIL2", b"$-1\r\n")
LIT_NIL3 = _lit("LIT_NIL3", b"_\r\n")
LIT_ZERO = _lit("LIT_ZERO", b":0\r\n")
LIT_ONE = _lit("LIT_ONE", b":1\r\n")
LIT_SYNTAX = _lit("LIT_SYNTAX", ("-" + SYNTAX + "\r\n").encode())
LIT_ARITY_PRE = _lit("LIT_ARITY_PRE", b"-ERR wrong number of arguments for '")
LIT_ARITY_SUF = _lit("LIT_ARITY_SUF", b"' command\r\n")
LIT_P_MULTIBULK = _lit("LIT_P_MULTIBULK", ("-" + PROTO_INVALID_MULTIBULK + "\r\n").encode())
LIT_P_BULK = _lit("LIT_P_BULK", ("-" + PROTO_INVALID_BULK + "\r\n").encode())
LIT_P_DOLLAR_PRE = _lit("LIT_P_DOLLAR_PRE", b"-ERR Protocol error: expected '$', got '")
LIT_P_DOLLAR_SUF = _lit("LIT_P_DOLLAR_SUF", b"'\r\n")
LIT_P_UNBALANCED = _lit("LIT_P_UNBALANCED", ("-" + PROTO_UNBALANCED + "\r\n").encode())
LIT_P_BIG_INLINE = _lit("LIT_P_BIG_INLINE", ("-" + PROTO_BIG_INLINE + "\r\n").encode())
LIT_P_BIG_MBULK = _lit("LIT_P_BIG_MBULK", ("-" + PROTO_BIG_MBULK + "\r\n").encode())
LIT_P_BIG_BULK = _lit("LIT_P_BIG_BULK", ("-" + PROTO_BIG_BULK + "\r\n").encode())
LIT_CRLF = _lit("LIT_CRLF", b"\r\n")
LIT_NOT_INT = _lit("LIT_NOT_INT", ("-" + NOT_INTEGER + "\r\n").encode())
LIT_INCR_OVERFLOW = _lit("LIT_INCR_OVERFLOW", ("-" + INCR_OVERFLOW + "\r\n").encode())
LIT_DECR_OVERFLOW = _lit("LIT_DECR_OVERFLOW", ("-" + DECR_OVERFLOW + "\r\n").encode())
LIT_OFFSET_RANGE = _lit("LIT_OFFSET_RANGE", ("-" + OFFSET_RANGE + "\r\n").encode())
LIT_STRING_TOO_BIG = _lit("LIT_STRING_TOO_BIG", ("-" + STRING_TOO_BIG + "\r\n").encode())
LIT_EXPIRE_PRE = _lit("LIT_EXPIRE_PRE", b"-ERR invalid expire time in '")
LIT_EXP_NX_COMBO = _lit("LIT_EXP_NX_COMBO", ("-" + EXPIRE_NX_COMBO + "\r\n").encode())
LIT_EXP_GT_LT = _lit("LIT_EXP_GT_LT", ("-" + EXPIRE_GT_LT + "\r\n").encode())
LIT_UNSUPPORTED_PRE = _lit("LIT_UNSUPPORTED_PRE", b"-ERR Unsupported option ")
LIT_EMPTY_BULK = _lit("LIT_EMPTY_BULK", b"$0\r\n\r\n")
LIT_MINUS1 = _lit("LIT_MINUS1", b":-1\r\n")
LIT_MINUS2 = _lit("LIT_MINUS2", b":-2\r\n")
LIT_TYPE_STRING = _lit("LIT_TYPE_STRING", b"+string\r\n")
LIT_TYPE_NONE = _lit("LIT_TYPE_NONE", b"+none\r\n")
LIT_NO_SUCH_KEY = _lit("LIT_NO_SUCH_KEY", ("-" + NO_SUCH_KEY + "\r\n").encode())
LIT_SAME_OBJECT = _lit("LIT_SAME_OBJECT", ("-" + SAME_OBJECT + "\r\n").encode())
LIT_DB_RANGE = _lit("LIT_DB_RANGE", ("-" + OUT_OF_RANGE_DB + "\r\n").encode())
LIT_INVALID_CURSOR = _lit("LIT_INVALID_CURSOR", ("-" + INVALID_CURSOR + "\r\n").encode())
LIT_SWAPDB_FIRST = _lit("LIT_SWAPDB_FIRST", ("-" + SWAPDB_FIRST + "\r\n").encode())
LIT_SWAPDB_SECOND = _lit("LIT_SWAPDB_SECOND", ("-" + SWAPDB_SECOND + "\r\n").encode())
LIT_INT_RANGE = _lit("LIT_INT_RANGE", ("-" + INT_RANGE + "\r\n").encode())
LIT_QUEUED = _lit("LIT_QUEUED", b"+QUEUED\r\n")
LIT_NO_MULTI = _lit("LIT_NO_MULTI", ("-" + NO_MULTI + "\r\n").encode())
LIT_BIT_OFFSET = _lit("LIT_BIT_OFFSET", ("-" + BIT_OFFSET + "\r\n").encode())
LIT_BIT_VALUE = _lit("LIT_BIT_VALUE", ("-" + BIT_VALUE + "\r\n").encode())
LIT_REPLICA_KEYSPACE = _lit("LIT_REPLICA_KEYSPACE", ("-" + REPLICA_KEYSPACE + "\r\n").encode())
LIT_NOAUTH = _lit("LIT_NOAUTH", ("-" + NOAUTH + "\r\n").encode())
LIT_OOM = _lit("LIT_OOM", ("-" + OOM + "\r\n").encode())
LIT_WRONGTYPE = _lit("LIT_WRONGTYPE", ("-" + WRONGTYPE + "\r\n").encode())
LIT_NULL_ARRAY2 = _lit("LIT_NULL_ARRAY2", b"*-1\r\n")
LIT_TIMEOUT_NOT_FLOAT = _lit("LIT_TIMEOUT_NOT_FLOAT", ("-" + TIMEOUT_NOT_FLOAT + "\r\n").encode())
LIT_TIMEOUT_NEGATIVE = _lit("LIT_TIMEOUT_NEGATIVE", ("-" + TIMEOUT_NEGATIVE + "\r\n").encode())
LIT_UNBLOCKED = _lit("LIT_UNBLOCKED", ("-" + UNBLOCKED + "\r\n").encode())
LIT_NOT_FLOAT = _lit("LIT_NOT_FLOAT", ("-" + NOT_FLOAT + "\r\n").encode())


def reply(msg):
    """An error text as the RESP bytes Redis sends."""
    return b"-" + msg.encode("latin-1") + b"\r\n" if isinstance(msg, str) else b"-" + msg + b"\r\n"
