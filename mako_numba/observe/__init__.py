"""Looking at a running server: INFO sections, memory and command statistics, latency
histograms, SLOWLOG and MONITOR."""
