//! Wire types and HTTP clients of the nxtp sequencer and relayer APIs, shared by the services and their callers.
