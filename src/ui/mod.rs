//! The web front end. `narration` is plain Rust (tested natively); the Leptos components only
//! draw what the engine says, and exist only in the wasm build.

pub mod inspect;
pub mod narration;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
pub use app::{mount, App};
