//! kubectl and etcdctl (filled in by the command-language work).
