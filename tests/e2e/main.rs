//! End-to-end tests: one binary, the real `sse`, real servers.

mod generated;
mod pipes;
mod serve;
mod support;
mod tail;
