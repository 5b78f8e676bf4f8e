//! kubesim: the Kubernetes control plane, alive in a web page.
//!
//! - [`sim`]: the engine (plain Rust, deterministic, tested natively).
//! - [`cli`]: kubectl / etcdctl parsing, execution and output, shared by the web terminal and
//!   the headless runner.
//! - `ui` (wasm32 only): the Leptos front end, which only draws what the engine says.

pub mod cli;
pub mod sim;

pub mod ui;
