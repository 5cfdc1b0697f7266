//! End-to-end tests: one binary, the real `sse`, real servers.

mod apache;
mod browser;
mod bursts;
mod caddy;
mod doctor;
mod express;
mod generated;
mod haproxy;
mod hostile;
mod http2;
mod http2_servers;
mod nginx;
mod nginx_h2;
mod nginx_timeout;
mod output;
mod pipes;
mod rack;
mod real;
mod record;
mod request;
mod serve;
mod starlette;
mod support;
mod tail;
mod varnish;
mod wsgi;
