//! End-to-end tests: one binary, the real `sse`, real servers.

mod browser;
mod doctor;
mod generated;
mod nginx;
mod output;
mod pipes;
mod record;
mod request;
mod serve;
mod support;
mod tail;
