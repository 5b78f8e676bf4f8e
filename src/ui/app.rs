//! The Leptos app: a terminal, the control plane, etcd, the worker nodes, narration and
//! playback controls. Everything drawn is derived from the engine's state (`Session` in a
//! `StoredValue`) at the displayed simulated time; a `version` signal says when it changed.
//! One requestAnimationFrame loop advances the displayed time while playing.

use std::cell::Cell;
use std::rc::Rc;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::inspect::{comp_id, inspect, parse_comp_id, Target};
use super::narration::narrate;
use crate::cli::Session;
use crate::sim::trace::MessageKind;
use crate::sim::{Kind, NoticeMode, SimConfig, SimTime};

/// While a control-plane message is in flight, time runs this much slower, so that
/// millisecond hops can be seen (the status line says so).
const SLOW_MOTION: f64 = 0.01;
/// Messages shorter than this count as control-plane hops for slow motion.
const SHORT_HOP_US: u64 = 50_000;
/// Most etcd records listed at once.
const ETCD_ROWS_SHOWN: usize = 150;

#[derive(Clone, Debug, PartialEq)]
struct TermLine {
    /// Stable across trimming, so the log re-renders only the lines it adds.
    id: u64,
    text: String,
    kind: &'static str,
}

fn status_class(status: &str) -> &'static str {
    match status {
        "Running" => "running",
        "Pending" => "pending",
        "ContainerCreating" => "creating",
        "Terminating" => "terminating",
        "Completed" | "Succeeded" => "done",
        _ => "failed",
    }
}

#[derive(Clone, Copy)]
struct Ui {
    session: StoredValue<Session, LocalStorage>,
    version: RwSignal<u64>,
    display: RwSignal<u64>,
    playing: RwSignal<bool>,
    speed: RwSignal<f64>,
    slow: RwSignal<bool>,
    /// What the inspector shows.
    selected: RwSignal<Option<Target>>,
    /// Ids of the components at work at the displayed time.
    busy: Memo<std::collections::BTreeSet<String>>,
}

impl Ui {
    fn bump(&self) {
        self.version.update(|v| *v += 1);
    }
    /// Advances the displayed time by `real_secs` of wall time at the chosen speed.
    fn advance(&self, real_secs: f64) {
        let speed = self.speed.get_untracked();
        let display = self.display.get_untracked();
        let in_flight = self.session.with_value(|s| {
            s.sim.trace().entries().iter().rev().take(400).any(|e| e.sent.as_micros() <= display && e.delivered.as_micros() > display && e.kind != MessageKind::Timer && e.delivered.as_micros() - e.sent.as_micros() < SHORT_HOP_US)
        });
        let rate = if in_flight { speed * SLOW_MOTION } else { speed };
        let next = display + (real_secs * rate * 1e6) as u64;
        let mut changed = false;
        self.session.update_value(|s| {
            let before = s.sim.delivered();
            s.sim.run_until(SimTime::from_micros(next));
            changed = s.sim.delivered() != before;
        });
        self.slow.set(in_flight);
        self.display.set(next);
        // Views of cluster state redraw only when a message was delivered; the ones that
        // follow the displayed time (packets, glow, narration) also track `display`.
        if changed {
            self.bump();
        }
    }
    fn step(&self) {
        self.session.update_value(|s| {
            s.sim.step();
        });
        let now = self.session.with_value(|s| s.sim.now().as_micros());
        self.display.set(now.max(self.display.get_untracked()));
        self.bump();
    }
}

pub fn mount() {
    console_error_panic_hook::set_once();
    mount_to_body(App);
}

fn prefers_reduced_motion() -> bool {
    window().match_media("(prefers-reduced-motion: reduce)").ok().flatten().is_some_and(|m| m.matches())
}

#[component]
pub fn App() -> impl IntoView {
    let session = StoredValue::new_local(Session::new(SimConfig::default()));
    let (version, display) = (RwSignal::new(0), RwSignal::new(0));
    let busy = Memo::new(move |_| {
        version.get();
        let d = display.get();
        session.with_value(|s| s.sim.trace().entries().iter().rev().take(300).filter(|e| e.delivered.as_micros() <= d && d - e.delivered.as_micros() < 3_000).map(|e| comp_id(e.to)).collect())
    });
    let ui = Ui { session, version, display, playing: RwSignal::new(false), speed: RwSignal::new(1.0), slow: RwSignal::new(false), selected: RwSignal::new(None), busy };
    provide_context(ui);
    start_animation_loop(ui);
    window_event_listener(leptos::ev::keydown, move |ev| {
        let typing = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        if typing {
            return;
        }
        match ev.key().as_str() {
            " " => {
                ev.prevent_default();
                ui.playing.update(|p| *p = !*p);
            }
            "ArrowRight" => {
                ev.prevent_default();
                ui.step();
            }
            "Escape" => ui.selected.set(None),
            _ => {}
        }
    });
    view! {
        <header class="top">
            <h1><span class="logo" aria-hidden="true">"⎈"</span>" kubesim"</h1>
            <p class="tagline">"The Kubernetes control plane, alive: type a command and watch every component react."</p>
        </header>
        <Controls/>
        <main class="layout">
            <Terminal/>
            <div class="diagram" id="diagram">
                <ControlPlane/>
                <WorkerNodes/>
                <Packets/>
            </div>
            <Inspector/>
            <EtcdPanel/>
            <Narration/>
        </main>
        <footer class="notes">
            "Simplified where it must be: one API server and one etcd member; image pulls timed from a catalogue of real image sizes. "
            "Names, events and kubectl output follow Kubernetes 1.32."
        </footer>
    }
}

fn start_animation_loop(ui: Ui) {
    let last: Rc<Cell<Option<f64>>> = Rc::new(Cell::new(None));
    fn frame(ui: Ui, last: Rc<Cell<Option<f64>>>) {
        request_animation_frame(move || {
            let now = window().performance().map(|p| p.now()).unwrap_or(0.0);
            let prev = last.replace(Some(now));
            if ui.playing.get_untracked() {
                let dt = prev.map(|p| ((now - p) / 1000.0).clamp(0.0, 0.1)).unwrap_or(0.0);
                ui.advance(dt);
            }
            frame(ui, last);
        });
    }
    frame(ui, last);
}

#[component]
fn Controls() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let horizon = move || {
        ui.version.get();
        let now = ui.session.with_value(|s| s.sim.now().as_micros());
        (now.max(60_000_000) as f64 / 1e6).ceil()
    };
    let time_label = move || {
        let d = ui.display.get();
        format!("t = {}{}", SimTime::from_micros(d), if ui.slow.get() && ui.playing.get() { " (slow motion: messages in flight)" } else { "" })
    };
    let set_mode = move |ev: leptos::ev::Event| {
        let mode = if event_target_value(&ev) == "poll" { NoticeMode::Poll } else { NoticeMode::Watch };
        ui.session.set_value(Session::new(SimConfig { mode, ..Default::default() }));
        ui.display.set(0);
        ui.bump();
    };
    view! {
        <nav class="controls" aria-label="Playback">
            <button class="play" on:click=move |_| ui.playing.update(|p| *p = !*p)>
                {move || if ui.playing.get() { "Pause" } else { "Play" }}
            </button>
            <button on:click=move |_| ui.step() title="Deliver the next message (→)">"Step"</button>
            <label class="speed">"Speed "
                <input type="range" aria-label="Speed" min="-1" max="1" step="0.1"
                    prop:value=move || ui.speed.get().log10().to_string()
                    on:input=move |ev| { let v: f64 = event_target_value(&ev).parse().unwrap_or(0.0); ui.speed.set(10f64.powf(v)); } />
                <span class="speed-value">{move || format!("{:.1}x", ui.speed.get())}</span>
            </label>
            <label class="timeline">"Timeline "
                <input type="range" aria-label="Timeline" min="0" step="0.1"
                    prop:max=move || horizon().to_string()
                    prop:value=move || (ui.display.get() as f64 / 1e6).to_string()
                    on:change=move |ev| {
                        let t: f64 = event_target_value(&ev).parse().unwrap_or(0.0);
                        let target = (t * 1e6) as u64;
                        if target > ui.display.get_untracked() {
                            ui.session.update_value(|s| s.sim.run_until(SimTime::from_micros(target)));
                            ui.display.set(target);
                            ui.bump();
                        } else {
                            // Scrubbing back needs checkpoints (a later feature). Notify the
                            // displayed time unchanged so the slider snaps back to it.
                            ui.display.update(|d| *d = *d);
                            ui.bump();
                        }
                    } />
            </label>
            <span role="status" class="clock">{time_label}</span>
            <label class="mode">"Controllers "
                <select aria-label="How components notice change" on:change=set_mode>
                    <option value="watch">"watch (real Kubernetes)"</option>
                    <option value="poll">"poll (as the talk says)"</option>
                </select>
            </label>
        </nav>
    }
}

#[component]
fn Terminal() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let lines = RwSignal::new(vec![TermLine { id: 0, text: "Try: kubectl create deployment web --image=nginx --replicas=3   (then press Play)".into(), kind: "hint" }]);
    let next_line = StoredValue::new(1u64);
    let history = StoredValue::new(Vec::<String>::new());
    let hist_pos = StoredValue::new(0usize);
    let input = NodeRef::<leptos::html::Textarea>::new();
    let log = NodeRef::<leptos::html::Div>::new();
    // Follow the output, as a terminal does.
    Effect::new(move |_| {
        lines.track();
        if let Some(el) = log.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });
    let run = move |text: String| {
        let mut out: Vec<(String, &'static str)> = Vec::new();
        ui.session.update_value(|s| {
            for line in text.lines() {
                let prompt = if s.in_heredoc() { "> " } else { "$ " };
                out.push((format!("{prompt}{line}"), "cmd"));
                if let Some(o) = s.feed_line(line) {
                    if !o.text.is_empty() {
                        out.push((o.text, if o.is_error { "err" } else { "out" }));
                    }
                }
            }
        });
        let out: Vec<TermLine> = out
            .into_iter()
            .map(|(text, kind)| {
                let id = next_line.get_value();
                next_line.set_value(id + 1);
                TermLine { id, text, kind }
            })
            .collect();
        if !text.trim().is_empty() {
            history.update_value(|h| h.push(text.clone()));
        }
        hist_pos.set_value(history.with_value(|h| h.len()));
        lines.update(|l| {
            l.extend(out);
            let n = l.len();
            if n > 400 {
                l.drain(0..n - 400);
            }
        });
        let now = ui.session.with_value(|s| s.sim.now().as_micros());
        if !ui.playing.get_untracked() {
            ui.display.set(now.max(ui.display.get_untracked()));
        }
        ui.bump();
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let Some(el) = input.get() else { return };
        match ev.key().as_str() {
            "Enter" if !ev.shift_key() => {
                ev.prevent_default();
                let text = el.value();
                el.set_value("");
                run(text);
            }
            "ArrowUp" if !el.value().contains('\n') => {
                ev.prevent_default();
                let pos = hist_pos.get_value().saturating_sub(1);
                hist_pos.set_value(pos);
                if let Some(h) = history.with_value(|h| h.get(pos).cloned()) {
                    el.set_value(&h);
                }
            }
            "ArrowDown" if !el.value().contains('\n') => {
                ev.prevent_default();
                let len = history.with_value(|h| h.len());
                let pos = (hist_pos.get_value() + 1).min(len);
                hist_pos.set_value(pos);
                el.set_value(&history.with_value(|h| h.get(pos).cloned()).unwrap_or_default());
            }
            _ => {}
        }
    };
    view! {
        <section class="terminal" aria-label="kubectl">
            <h2>"kubectl"</h2>
            <div role="log" aria-label="Terminal" class="term-log" aria-live="polite" tabindex="0" node_ref=log>
                <For each=move || lines.get() key=|l| l.id let:item>
                    <pre class=format!("line {}", item.kind)>{item.text.clone()}</pre>
                </For>
            </div>
            <label class="prompt"><span aria-hidden="true">"$"</span>
                <textarea node_ref=input rows="1" aria-label="Command" spellcheck="false" autocomplete="off"
                    placeholder="kubectl get pods" on:keydown=on_key></textarea>
            </label>
        </section>
    }
}

/// Components that received a message in the last moment glow: one pass over the trace per
/// frame, shared by every box.
fn busy(ui: &Ui, id: &str) -> bool {
    ui.busy.with(|b| b.contains(id))
}


#[component]
fn Box(id: &'static str, title: &'static str, detail: &'static str) -> impl IntoView {
    let ui = expect_context::<Ui>();
    view! {
        <button class="comp" data-comp=id class:busy=move || busy(&ui, id) on:click=move |_| ui.selected.set(parse_comp_id(id).map(Target::Component))>
            <strong>{title}</strong>
            <small>{detail}</small>
        </button>
    }
}

#[component]
fn ControlPlane() -> impl IntoView {
    let ui = expect_context::<Ui>();
    view! {
        <section class="control-plane" aria-label="Control plane">
            <h2>"Control plane"</h2>
            <div class="cp-grid">
                <Box id="user" title="you" detail="kubectl"/>
                <Box id="apiserver" title="kube-apiserver" detail="validates, stores, notifies"/>
                <Box id="etcd" title="etcd" detail="the only database"/>
                <Box id="scheduler" title="kube-scheduler" detail="picks a node for each pod"/>
                <div class="comp cm">
                    // The process itself: its shared informers' watch events arrive here.
                    <button class="cm-title" data-comp="kcm" class:busy=move || busy(&ui, "kcm") on:click=move |_| ui.selected.set(parse_comp_id("kcm").map(Target::Component))>
                        <strong>"kube-controller-manager"</strong>
                        <small>"shared informers: one watch per resource"</small>
                    </button>
                    <div class="controllers">
                        <Box id="ctl-deployment" title="deployment" detail="Deployment → ReplicaSet"/>
                        <Box id="ctl-replicaset" title="replicaset" detail="ReplicaSet → Pods"/>
                        <Box id="ctl-endpoints" title="endpoints" detail="Service → pod IPs"/>
                        <Box id="ctl-endpointslice" title="endpointslice" detail="Service → EndpointSlices"/>
                        <Box id="ctl-gc" title="garbage collector" detail="deletes orphans"/>
                        <Box id="ctl-nodes" title="node lifecycle" detail="silent node → NotReady"/>
                        <Box id="ctl-taints" title="taint eviction" detail="evicts from tainted nodes"/>
                        <Box id="ctl-namespace" title="namespace" detail="empties a deleted namespace"/>
                    </div>
                </div>
            </div>
        </section>
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct PodView {
    name: String,
    status: String,
}

#[derive(Clone, PartialEq)]
struct NodeView {
    index: u32,
    name: String,
    ready: bool,
    cordoned: bool,
    running: bool,
    pods: Vec<PodView>,
}

#[component]
fn WorkerNodes() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let nodes = Memo::new(move |_| {
        ui.version.get();
        ui.session.with_value(|s| {
            let sim = &s.sim;
            let mut by_node: std::collections::BTreeMap<&str, Vec<PodView>> = std::collections::BTreeMap::new();
            for p in sim.pods().filter(|p| !p.spec.node_name.is_empty()) {
                by_node.entry(p.spec.node_name.as_str()).or_default().push(PodView { name: p.metadata.name.to_string(), status: p.display_status() });
            }
            sim.nodes()
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let obj = sim.get(Kind::Node, "", &a.name);
                    let node = obj.and_then(|o| o.as_node());
                    let pods = by_node.remove(a.name.as_str()).unwrap_or_default();
                    NodeView { index: i as u32, name: a.name.clone(), ready: node.is_some_and(|n| n.is_ready()), cordoned: node.is_some_and(|n| n.spec.unschedulable), running: sim.kubelet_running(i) && obj.is_some(), pods }
                })
                .collect::<Vec<_>>()
        })
    });
    let pending = Memo::new(move |_| {
        ui.version.get();
        ui.session.with_value(|s| s.sim.pods().filter(|p| p.spec.node_name.is_empty()).map(|p| PodView { name: p.metadata.name.to_string(), status: p.display_status() }).collect::<Vec<_>>())
    });
    view! {
        <section class="workers" aria-label="Worker nodes">
            <h2>"Worker nodes"</h2>
            <div class="unscheduled" aria-label="Pods without a node" role="group">
                <span>"Not yet scheduled: "</span>
                <ul role="list" class="pods">
                    <For each=move || pending.get() key=|p| p.name.clone() let:p>
                        <li role="listitem" class=format!("pod {}", status_class(&p.status)) aria-label=format!("{} {}", p.name, p.status)>{p.name.clone()}" "<span class="pod-status">{p.status.clone()}</span></li>
                    </For>
                </ul>
            </div>
            <div class="node-list">
                // Cards are keyed by node and pods by pod, so a change re-renders only what changed.
                <For each=move || nodes.with(|v| v.iter().map(|n| (n.index, n.name.clone())).collect::<Vec<_>>()) key=|n| n.clone() let:n>
                    {
                        let (index, name) = n;
                        let this = { let name = name.clone(); move || nodes.with(|v| v.iter().find(|x| x.name == name).cloned()) };
                        let state = { let this = this.clone(); Memo::new(move |_| this().map(|n| (n.ready, n.cordoned, n.running)).unwrap_or((false, false, false))) };
                        let pods = { let this = this.clone(); move || this().map(|n| n.pods).unwrap_or_default() };
                        let select = { let name = name.clone(); move |_| ui.selected.set(Some(Target::Node(name.clone()))) };
                        view! {
                            <div role="group" aria-label=name.clone() class="node" class:down=move || !state.get().2 class:cordoned=move || state.get().1>
                                <h3><button class="node-name" on:click=select>{name.clone()}</button><small>{move || {
                                    let (ready, cordoned, running) = state.get();
                                    // A stopped kubelet's node stays Ready until the node lifecycle controller notices (50 s).
                                    match (running, ready, cordoned) {
                                        (false, true, _) => " kubelet stopped, still Ready",
                                        (false, false, _) => " kubelet stopped, NotReady",
                                        (true, _, true) => if ready { " Ready,SchedulingDisabled" } else { " NotReady,SchedulingDisabled" },
                                        (true, true, false) => " Ready",
                                        (true, false, false) => " NotReady",
                                    }
                                }}</small></h3>
                                <div class="agents">
                                    <Agent id=format!("kubelet-{index}") label="kubelet"/>
                                    <Agent id=format!("runtime-{index}") label="containerd"/>
                                    <Agent id=format!("proxy-{index}") label="kube-proxy"/>
                                </div>
                                <ul role="list" class="pods">
                                    <For each=pods key=|p| p.clone() let:p>
                                        <li role="listitem" class=format!("pod {}", status_class(&p.status)) aria-label=format!("{} {}", p.name, p.status)>
                                            <button class="pod-button" on:click={ let name = p.name.clone(); move |_| ui.selected.set(Some(Target::Pod { namespace: "default".into(), name: name.clone() })) }>
                                                <span class="pod-name">{p.name.clone()}</span>" "
                                                <span class="pod-status">{p.status.clone()}</span>
                                            </button>
                                        </li>
                                    </For>
                                </ul>
                            </div>
                        }
                    }
                </For>
            </div>
        </section>
    }
}

#[component]
fn Agent(id: String, label: &'static str) -> impl IntoView {
    let ui = expect_context::<Ui>();
    let id2 = id.clone();
    let id3 = id.clone();
    view! { <button class="agent" data-comp=id class:busy=move || busy(&ui, &id2) on:click=move |_| ui.selected.set(parse_comp_id(&id3).map(Target::Component))>{label}</button> }
}

#[component]
fn EtcdPanel() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let selected = RwSignal::new(None::<String>);
    let records = Memo::new(move |_| {
        ui.version.get();
        ui.session.with_value(|s| {
            let mut rows: Vec<(String, u64)> = s
                .sim
                .etcd()
                .range("/registry/")
                .filter(|(k, _)| !k.starts_with("/registry/events/") && !k.starts_with("/registry/leases/"))
                .map(|(k, kv)| (k.to_string(), kv.mod_revision))
                .collect();
            // In a big cluster the panel shows the records written most recently (still in key
            // order) and says how many it leaves out; etcdctl lists them all.
            let hidden = rows.len().saturating_sub(ETCD_ROWS_SHOWN);
            if hidden > 0 {
                let mut revs: Vec<u64> = rows.iter().map(|r| r.1).collect();
                revs.sort_unstable_by(|a, b| b.cmp(a));
                let cutoff = revs[ETCD_ROWS_SHOWN - 1];
                rows.retain(|r| r.1 >= cutoff);
            }
            (s.sim.etcd().revision(), rows, hidden)
        })
    });
    let yaml = move || {
        ui.version.get();
        selected.get().and_then(|k| ui.session.with_value(|s| s.sim.etcd().get(&k).map(|kv| crate::cli::yaml::to_yaml(&kv.value.to_value()))))
    };
    view! {
        <section class="etcd" aria-label="etcd">
            <h2>"etcd " <small>{move || format!("revision {}", records.get().0)}</small></h2>
            <ul class="records">
                // Keyed by key and revision: a write replaces just that row, and a row that
                // appears flashes (a CSS animation), which is how new and changed records show.
                <For each=move || records.get().1 key=|r| r.clone() let:r>
                    <li class="record-row">
                        <button class="record" on:click={ let k = r.0.clone(); move |_| selected.set(Some(k.clone())) }>
                            <code>{r.0.clone()}</code><span class="rev"><span class="sr">" revision "</span>{r.1}</span>
                        </button>
                    </li>
                </For>
            </ul>
            <Show when=move || { records.get().2 > 0 }>
                <p class="hidden-records">{move || format!("…and {} more keys, not shown; `etcdctl get /registry --prefix --keys-only` lists them all.", records.get().2)}</p>
            </Show>
            <Show when=move || selected.get().is_some()>
                <div class="inspector">
                    <h3>{move || selected.get().unwrap_or_default()}<button on:click=move |_| selected.set(None) aria-label="Close record">"×"</button></h3>
                    <pre>{move || yaml().unwrap_or_else(|| "(deleted)".into())}</pre>
                </div>
            </Show>
        </section>
    }
}

#[component]
fn Narration() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let lines = Memo::new(move |_| {
        ui.version.get();
        let d = ui.display.get();
        ui.session.with_value(|s| {
            let sim = &s.sim;
            let name = |c| sim.component_name(c);
            let mut out: Vec<(u64, String)> = sim.trace().entries().iter().rev().filter(|e| e.delivered.as_micros() <= d).take(3000).filter_map(|e| narrate(e, &name).map(|t| (e.seq, t))).take(6).collect();
            out.reverse();
            out
        })
    });
    view! {
        <section class="narration" aria-label="Narration" aria-live="polite">
            <h2>"What just happened"</h2>
            <ol>
                <For each=move || lines.get() key=|l| l.0 let:l>
                    <li>{l.1.clone()}</li>
                </For>
            </ol>
        </section>
    }
}

/// Messages in flight at the displayed time, drawn between the two components' boxes.
#[component]
fn Packets() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let reduced = prefers_reduced_motion();
    // Where each box's centre is. Reading positions forces a layout, so they are measured at
    // most every quarter second of wall time rather than on every frame.
    let positions: StoredValue<(f64, std::collections::BTreeMap<String, Option<(f64, f64)>>)> = StoredValue::new((f64::NEG_INFINITY, Default::default()));
    let dots = Memo::new(move |_| {
        ui.version.get();
        if reduced {
            return Vec::new();
        }
        let d = ui.display.get();
        let now = window().performance().map(|p| p.now()).unwrap_or(0.0);
        if now - positions.with_value(|p| p.0) > 250.0 {
            positions.set_value((now, Default::default()));
        }
        let centre = |id: &str| {
            positions.update_value(|(_, cache)| {
                cache.entry(id.to_string()).or_insert_with(|| {
                    let doc = document();
                    let origin = doc.get_element_by_id("diagram")?.get_bounding_client_rect();
                    let r = doc.query_selector(&format!("[data-comp=\"{id}\"]")).ok().flatten()?.get_bounding_client_rect();
                    Some((r.left() - origin.left() + r.width() / 2.0, r.top() - origin.top() + r.height() / 2.0))
                });
            });
            positions.with_value(|(_, cache)| cache.get(id).copied().flatten())
        };
        ui.session.with_value(|s| {
            s.sim
                .trace()
                .entries()
                .iter()
                .rev()
                .take(500)
                .filter(|e| e.sent.as_micros() <= d && e.delivered.as_micros() > d && e.kind != MessageKind::Timer && e.from != e.to)
                .take(150)
                .filter_map(|e| {
                    let (a, b) = (centre(&comp_id(e.from))?, centre(&comp_id(e.to))?);
                    let f = (d - e.sent.as_micros()) as f64 / (e.delivered.as_micros() - e.sent.as_micros()).max(1) as f64;
                    Some((e.seq, a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f, e.kind.name(), e.summary.clone()))
                })
                .collect::<Vec<_>>()
        })
    });
    view! {
        <svg class="packets" aria-hidden="true">
            <For each=move || dots.get() key=|p| p.0 let:p>
                <circle cx=p.1 cy=p.2 r="6" class=format!("packet {}", p.3)><title>{p.4.clone()}</title></circle>
            </For>
        </svg>
    }
}

/// Details of the selected pod, node or component, with the scheduler's decision for a pod.
#[component]
fn Inspector() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let report = Memo::new(move |_| {
        ui.version.get();
        let d = ui.display.get();
        let target = ui.selected.get()?;
        ui.session.with_value(|s| inspect(&s.sim, &target, SimTime::from_micros(d)))
    });
    view! {
        <Show when=move || ui.selected.get().is_some()>
            <section class="inspector-panel" aria-label="Inspector">
                <h2>"Inspector " <button class="close" on:click=move |_| ui.selected.set(None) aria-label="Close inspector">"×"</button></h2>
                {move || match report.get() {
                    None => view! { <p>"It is gone: deleted from etcd."</p> }.into_any(),
                    Some(r) => view! {
                        <h3>{r.title.clone()}</h3>
                        <dl class="facts">
                            {r.facts.iter().map(|(k, v)| view! { <dt>{k.clone()}</dt><dd>{v.clone()}</dd> }).collect_view()}
                        </dl>
                        {r.decision.clone().map(|d| view! {
                            <h4>"Scheduling decision"</h4>
                            <p>{d.summary.clone()}</p>
                            <ul>{d.filtered.iter().map(|f| view! { <li>{f.clone()}</li> }).collect_view()}</ul>
                            {(!d.scores.is_empty()).then(|| {
                                let plugins: Vec<String> = d.scores[0].plugins.iter().map(|p| format!("{} ×{}", p.0, p.2)).collect();
                                view! {
                                    <div class="scores" tabindex="0" role="region" aria-label="Node scores">
                                    <table>
                                        <thead><tr><th scope="col">"node"</th>{plugins.into_iter().map(|p| view! { <th scope="col">{p}</th> }).collect_view()}<th scope="col">"total"</th></tr></thead>
                                        <tbody>{d.scores.iter().map(|r| view! {
                                            <tr class:chosen=r.chosen><th scope="row">{r.node.clone()}{if r.chosen { " ✓" } else { "" }}</th>
                                            {r.plugins.iter().map(|p| view! { <td>{p.1}</td> }).collect_view()}<td>{r.total}</td></tr>
                                        }).collect_view()}</tbody>
                                    </table>
                                    </div>
                                }
                            })}
                        })}
                        <h4>"Recent messages"</h4>
                        <ol class="messages" tabindex="0" aria-label="Recent messages">{r.messages.iter().map(|m| view! { <li><code>{m.clone()}</code></li> }).collect_view()}</ol>
                    }.into_any(),
                }}
            </section>
        </Show>
    }
}
