"""INFO persistence: the RDB file's fields (snapshots.py, forkchild.py), then the AOF's (aof.py).

Snapshots registers `info_persistence` with the Core's INFO sections; the
loading and module-fork fields are Redis's constants for what we lack.
"""
_AOF_ALWAYS = ("aof_enabled", "aof_rewrite_in_progress", "aof_rewrite_scheduled",
               "aof_last_rewrite_time_sec", "aof_current_rewrite_time_sec",
               "aof_last_bgrewrite_status", "aof_rewrites", "aof_last_write_status",
               "aof_last_cow_size")


def info_persistence(core):
    """INFO persistence (Snapshots registers it): the RDB file's fields, then the AOF's."""
    snap = core.snapshots.info_fields()
    aof = core.aof.info_fields()
    return [
        ("loading", 0),
        ("async_loading", 0),
        ("current_cow_peak", snap["current_cow_peak"]),
        ("current_cow_size", snap["current_cow_size"]),
        ("current_cow_size_age", snap["current_cow_size_age"]),
        ("current_fork_perc", snap["current_fork_perc"]),
        ("current_save_keys_processed", snap["current_save_keys_processed"]),
        ("current_save_keys_total", snap["current_save_keys_total"]),
        ("rdb_changes_since_last_save", snap["rdb_changes_since_last_save"]),
        ("rdb_bgsave_in_progress", snap["rdb_bgsave_in_progress"]),
        ("rdb_last_save_time", snap["rdb_last_save_time"]),
        ("rdb_last_bgsave_status", snap["rdb_last_bgsave_status"]),
        ("rdb_last_bgsave_time_sec", snap["rdb_last_bgsave_time_sec"]),
        ("rdb_current_bgsave_time_sec", snap["rdb_current_bgsave_time_sec"]),
        ("rdb_saves", snap["rdb_saves"]),
        ("rdb_last_cow_size", snap["rdb_last_cow_size"]),
        ("rdb_last_load_keys_expired", snap["rdb_last_load_keys_expired"]),
        ("rdb_last_load_keys_loaded", snap["rdb_last_load_keys_loaded"]),
        ("aof_enabled", aof["aof_enabled"]),
        ("aof_rewrite_in_progress", aof["aof_rewrite_in_progress"]),
        ("aof_rewrite_scheduled", aof["aof_rewrite_scheduled"]),
        ("aof_last_rewrite_time_sec", aof["aof_last_rewrite_time_sec"]),
        ("aof_current_rewrite_time_sec", aof["aof_current_rewrite_time_sec"]),
        ("aof_last_bgrewrite_status", aof["aof_last_bgrewrite_status"]),
        ("aof_rewrites", aof["aof_rewrites"]),
        ("aof_rewrites_consecutive_failures", 0),
        ("aof_last_write_status", aof["aof_last_write_status"]),
        ("aof_last_cow_size", aof["aof_last_cow_size"]),
        ("module_fork_in_progress", 0),
        ("module_fork_last_cow_size", 0),
    ] + [(k, v) for k, v in aof.items() if k not in _AOF_ALWAYS]
