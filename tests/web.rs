//! Component tests in a real browser (wasm-bindgen-test in headless Chromium): mount the app,
//! type into the terminal, and check what a person would see.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn doc() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

fn text_of(selector: &str) -> String {
    doc().query_selector(selector).unwrap().map(|e| e.text_content().unwrap_or_default()).unwrap_or_default()
}

async fn type_command(line: &str) {
    let input: web_sys::HtmlTextAreaElement = doc().query_selector("textarea[aria-label=Command]").unwrap().expect("the Command textbox").dyn_into().unwrap();
    input.set_value(line);
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("Enter");
    init.set_bubbles(true);
    let ev = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    input.dispatch_event(&ev).unwrap();
    sleep(50).await;
}

#[wasm_bindgen_test]
async fn terminal_runs_kubectl_and_panels_follow_the_engine() {
    leptos::mount::mount_to_body(kubesim::ui::App);
    sleep(50).await;
    for region in ["Control plane", "Worker nodes", "etcd", "Narration"] {
        assert!(doc().query_selector(&format!("[aria-label=\"{region}\"]")).unwrap().is_some(), "region {region}");
    }
    assert!(text_of("[aria-label=\"Worker nodes\"]").contains("node-1"));

    type_command("kubectl create deployment web --image=nginx --replicas=3").await;
    let log = text_of("[role=log][aria-label=Terminal]");
    assert!(log.contains("deployment.apps/web created"), "{log}");
    assert!(text_of("[aria-label=etcd]").contains("/registry/deployments/default/web"));

    type_command("kubectl get deploy nope").await;
    let errors: Vec<String> = (0..doc().query_selector_all(".line.err").unwrap().length()).map(|i| doc().query_selector_all(".line.err").unwrap().item(i).unwrap().text_content().unwrap()).collect();
    assert!(errors.iter().any(|e| e.contains("Error from server (NotFound): deployments.apps \"nope\" not found")), "{errors:?}");

    // Let simulated time pass from the terminal: the pods appear in the nodes.
    type_command("sleep 15").await;
    sleep(50).await;
    let running = doc().query_selector_all("[aria-label=\"Worker nodes\"] [role=group] li[aria-label$=Running]").unwrap().length();
    assert_eq!(running, 3);

    // A big cluster: the etcd panel lists the latest 150 records and says how many it hides.
    type_command("kubectl create deployment big --image=nginx --replicas=200").await;
    type_command("sleep 2").await;
    sleep(50).await;
    let rows = doc().query_selector_all("[aria-label=etcd] .records li").unwrap().length();
    assert!(rows <= 150 && rows > 100, "{rows} rows");
    let note = text_of("[aria-label=etcd] .hidden-records");
    assert!(note.contains("more keys, not shown") && note.contains("etcdctl get /registry --prefix --keys-only"), "{note}");
}
