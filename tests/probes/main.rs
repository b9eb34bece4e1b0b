//! The built-in probes against real servers: the ones this machine runs
//! (their URLs come from the environment, set by `.ci/run`) and ones the tests
//! start, kill and restart themselves. Without a server, a test prints
//! `SKIPPED: …` and returns.

mod support;

mod concurrent;
mod disk;
mod garbage;
mod heartbeat;
mod http_upstream;
mod migrations;
mod mysql;
mod nats;
mod postgres;
mod process;
mod rabbitmq;
mod redis;
mod remote_health;
mod runtime;
mod sqlite;
mod tcp;
pub(crate) mod under_load;
