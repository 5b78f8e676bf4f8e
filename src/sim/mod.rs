//! The simulation engine: a deterministic model of a Kubernetes control plane and its nodes.
//!
//! It contains no browser code, reads no clock and uses no global randomness: simulated time
//! and one seeded RNG are inputs, so the same seed and the same commands always tell the same
//! story. Components talk only through messages (API requests, etcd transactions, watch
//! events, CRI calls) that take simulated time to arrive; every message is recorded in the
//! trace, which is what the UI animates.

pub mod api_server;
pub mod controllers;
pub mod engine;
pub mod etcd;
pub mod events;
pub mod informer;
pub mod keyed;
pub mod kubelet;
pub mod message;
pub mod objects;
pub mod patch;
pub mod proxy;
pub mod queue;
pub mod rng;
pub mod runtime;
pub mod scheduler;
pub mod text;
pub mod time;
pub mod trace;
pub mod validation;

pub use engine::{NodeAgents, Sim, SimConfig, MAX_NODES};
pub use informer::NoticeMode;
pub use message::{ApiError, ApiReply, ApiRequest, Component, NodeId, StatusReason, Verb};
pub use objects::{Kind, Object, ObjectRc};
pub use time::{SimDuration, SimTime};
pub use trace::{MessageKind, TraceEntry};
