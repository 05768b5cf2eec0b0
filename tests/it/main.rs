//! The integration tests: storage on every backend, the `owums` command, and FreeRADIUS
//! end to end.



mod cli;
mod storage;
mod support;
