//! The web app's entry point: mount the UI, nothing else.
#[cfg(target_arch = "wasm32")]
fn main() {
    kubesim::ui::mount();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("kubesim-web is the browser build; run `make serve`, or use the `kubesim` runner.");
}
