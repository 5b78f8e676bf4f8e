//! containerd, as the kubelet sees it through the Container Runtime Interface. Since
//! Kubernetes 1.24 the kubelet no longer talks to Docker (dockershim was removed); it calls a
//! CRI runtime such as containerd over gRPC. Each call here takes simulated time: pulling an
//! image depends on its size and on what this node already has, and the answer comes back as
//! a message.
//!
//! Images come from a small catalogue of real images with their compressed sizes. An unknown
//! name in Docker Hub's library (`ngnix`) fails as a real pull would; images from other
//! registries or namespaces are assumed to exist (100 MB), since we cannot check.

use std::collections::{BTreeMap, BTreeSet};

use crate::sim::engine::Ctx;
use crate::sim::message::*;
use crate::sim::objects::Str;
use crate::sim::time::{SimDuration, SimTime};

/// (repository, compressed size in bytes) of well-known images.
pub const IMAGE_CATALOGUE: &[(&str, u64)] = &[
    ("docker.io/library/nginx", 72_223_946),
    ("docker.io/library/httpd", 58_140_314),
    ("docker.io/library/busybox", 2_160_406),
    ("docker.io/library/alpine", 3_653_068),
    ("docker.io/library/redis", 45_107_206),
    ("docker.io/library/postgres", 158_429_582),
    ("docker.io/library/mysql", 170_931_430),
    ("docker.io/library/memcached", 31_870_221),
    ("docker.io/library/ubuntu", 29_754_290),
    ("docker.io/library/debian", 48_490_123),
    ("docker.io/library/python", 412_583_019),
    ("docker.io/library/node", 391_012_555),
    ("docker.io/library/golang", 298_773_540),
    ("docker.io/library/traefik", 48_204_981),
    ("docker.io/library/rabbitmq", 94_218_331),
    ("docker.io/library/mongo", 263_504_902),
    ("docker.io/library/wordpress", 253_840_102),
    ("docker.io/library/caddy", 18_950_300),
    ("docker.io/library/haproxy", 40_112_004),
    ("registry.k8s.io/pause", 320_368),
    ("registry.k8s.io/echoserver", 46_237_695),
    ("docker.io/hashicorp/http-echo", 3_271_010),
    ("docker.io/traefik/whoami", 3_506_180),
];

const PULL_BYTES_PER_SEC: u64 = 20_000_000;
const ASSUMED_IMAGE_SIZE: u64 = 100_000_000;

/// An image as written, split as containerd's reference normalization reads it: the registry
/// and namespace it implies, the name, and the tag (`nginx` → `docker.io/library/`, `nginx`,
/// `latest`).
fn split_image(image: &str) -> (&'static str, &str, &str) {
    let (name, tag) = match image.rsplit_once(':') {
        Some((n, t)) if !t.contains('/') => (n, t),
        _ => (image, "latest"),
    };
    let first = name.split('/').next().unwrap_or("");
    let prefix = if !name.contains('/') {
        "docker.io/library/"
    } else if first.contains('.') || first.contains(':') || first == "localhost" {
        ""
    } else {
        "docker.io/"
    };
    (prefix, name, tag)
}

/// `nginx` → `docker.io/library/nginx:latest`, as containerd's reference normalization does.
pub fn normalize_image(image: &str) -> (String, String) {
    let (prefix, name, tag) = split_image(image);
    (crate::sim::text::concat(&[prefix, name]), tag.to_string())
}

/// A stable stand-in for an image's sha256 digest: 64 hex digits derived from its reference.
pub fn digest(reference: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out = String::with_capacity(64);
    for round in 0..4u8 {
        for b in reference.bytes().chain([round]) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        let _ = crate::sim::text::push_hex(&mut out, h, 16); // (a String takes anything)
    }
    out
}

pub fn image_size(repo: &str) -> Option<u64> {
    if let Some((_, s)) = IMAGE_CATALOGUE.iter().find(|(r, _)| *r == repo) {
        return Some(*s);
    }
    if repo.starts_with("docker.io/library/") {
        None
    } else {
        Some(ASSUMED_IMAGE_SIZE)
    }
}

#[derive(Clone, Debug)]
pub struct ContainerRuntime {
    node_index: u32,
    /// Full references (`repo:tag`) on the node, and since when: a pull in progress (its
    /// completion time still to come) does not count yet.
    images: BTreeMap<String, SimTime>,
    /// Repositories whose layers are on the node: a re-pull of another tag or of `latest` is quick.
    layers: BTreeSet<String>,
    next_ip: u32,
    pub containers_running: usize,
    /// The kubelet pulls one image at a time (serializeImagePulls, on by default): a pull
    /// waits for the one before it.
    pulls_busy_until: SimTime,
    /// Sandboxes by pod uid, with their containers: they outlive a kubelet restart.
    sandboxes: crate::sim::keyed::FxHashMap<Str, SandboxInfo>,
}

impl ContainerRuntime {
    pub fn new(node_index: u32) -> Self {
        let mut images = BTreeMap::new();
        images.insert("registry.k8s.io/pause:3.10".to_string(), SimTime::ZERO);
        ContainerRuntime { node_index, images, layers: BTreeSet::new(), next_ip: 0, containers_running: 0, pulls_busy_until: SimTime::ZERO, sandboxes: Default::default() }
    }

    /// The images on the node at `now`, by reference.
    pub fn images_at(&self, now: SimTime) -> impl Iterator<Item = &str> {
        self.images.iter().filter(move |(_, since)| **since <= now).map(|(r, _)| r.as_str())
    }

    /// A 64-digit hex id, made on the stack (one allocation: the `Str`).
    fn id(ctx: &mut Ctx) -> Str {
        let mut id = crate::sim::text::StackStr::<64>::new();
        for _ in 0..4 {
            // Four times 16 digits fill the 64 bytes exactly.
            let _ = crate::sim::text::push_hex(&mut id, ctx.rng.next_u64(), 16);
        }
        Str::new(id.as_str())
    }

    /// The node's pod CIDR is 10.244.<n>.0/24 (as kind and flannel assign); the CNI plugin
    /// hands out addresses from it.
    fn allocate_ip(&mut self) -> Str {
        use std::fmt::Write;
        self.next_ip = self.next_ip % 253 + 1;
        let n = self.node_index + 1;
        let mut ip = crate::sim::text::StackStr::<16>::new();
        let _ = write!(ip, "10.{}.{}.{}", 244 + n / 256, n % 256, self.next_ip + 1);
        Str::new(ip.as_str())
    }

    pub fn handle(&mut self, ctx: &mut Ctx, body: Body) {
        let Body::Cri(call) = body else { return };
        let kubelet = Component::Kubelet(ctx.me.node().expect("a runtime runs on a node"));
        let (reply, ms) = match call {
            CriCall::RunPodSandbox { pod_uid, .. } => {
                let (sandbox_id, pod_ip) = (Self::id(ctx), self.allocate_ip());
                self.sandboxes.insert(pod_uid.clone(), SandboxInfo { pod_uid: pod_uid.clone(), sandbox_id: sandbox_id.clone(), pod_ip: pod_ip.clone(), containers: Vec::new() });
                (CriReply::SandboxReady { pod_uid, sandbox_id, pod_ip }, 250 + ctx.rng.below(150))
            }
            CriCall::ImageStatus { pod_uid, image, container } => {
                let (prefix, name, tag) = split_image(&image);
                let present = crate::sim::text::with_concat(&[prefix, name, ":", tag], |reference| self.images.get(reference).is_some_and(|since| *since <= ctx.now));
                (CriReply::ImageStatus { pod_uid, container, present }, 2)
            }
            CriCall::PullImage { pod_uid, image, container } => {
                let (repo, tag) = normalize_image(&image);
                match image_size(&repo) {
                    None => {
                        let reference = format!("{repo}:{tag}");
                        let err = format!("failed to pull and unpack image \"{reference}\": failed to resolve reference \"{reference}\": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed");
                        (CriReply::ImagePulled { pod_uid, container, image, result: Err(err) }, 900 + ctx.rng.below(400))
                    }
                    Some(size) => {
                        // Layers fetched by an earlier pull (even one still queued ahead) are reused.
                        let cached = self.layers.contains(&repo);
                        let own = if cached { 300 + ctx.rng.below(300) } else { 400 + size * 1000 / PULL_BYTES_PER_SEC + ctx.rng.below(800) };
                        let start = self.pulls_busy_until.max(ctx.now);
                        let done = start + SimDuration::millis(own);
                        self.pulls_busy_until = done;
                        self.layers.insert(repo.clone());
                        let since = self.images.entry(format!("{repo}:{tag}")).or_insert(done);
                        *since = (*since).min(done);
                        let info = PullInfo { size_bytes: size, pull_secs: own as f64 / 1000.0, already_present: false };
                        (CriReply::ImagePulled { pod_uid, container, image, result: Ok(info) }, done.since(ctx.now).as_millis())
                    }
                }
            }
            CriCall::CreateContainer { pod_uid, container, .. } => {
                let container_id = Self::id(ctx);
                if let Some(s) = self.sandboxes.get_mut(&pod_uid) {
                    if s.containers.len() <= container {
                        s.containers.resize(container + 1, (Str::EMPTY, None));
                    }
                    s.containers[container] = (container_id.clone(), None);
                }
                (CriReply::ContainerCreated { pod_uid, container, container_id }, 40 + ctx.rng.below(40))
            }
            CriCall::StartContainer { pod_uid, container, .. } => {
                self.containers_running += 1;
                let ms = 60 + ctx.rng.below(60);
                if let Some(c) = self.sandboxes.get_mut(&pod_uid).and_then(|s| s.containers.get_mut(container)) {
                    c.1 = Some(ctx.now + SimDuration::millis(ms));
                }
                (CriReply::ContainerStarted { pod_uid, container }, ms)
            }
            CriCall::StopContainer { pod_uid, container_id, .. } => {
                self.containers_running = self.containers_running.saturating_sub(1);
                if let Some(c) = self.sandboxes.get_mut(&pod_uid).and_then(|s| s.containers.iter_mut().find(|c| c.0 == container_id)) {
                    c.1 = None;
                }
                (CriReply::ContainerStopped { pod_uid, container_id }, 100 + ctx.rng.below(200))
            }
            CriCall::StopPodSandbox { pod_uid, .. } => {
                self.sandboxes.remove(&pod_uid);
                (CriReply::SandboxStopped { pod_uid }, 50 + ctx.rng.below(50))
            }
            CriCall::ListPodSandbox => {
                let mut list: Vec<SandboxInfo> = self.sandboxes.values().cloned().collect();
                list.sort_by(|a, b| a.pod_uid.cmp(&b.pod_uid));
                (CriReply::Sandboxes(list), 5 + ctx.rng.below(10))
            }
        };
        ctx.send_after(kubelet, Body::CriReply(reply), SimDuration::millis(ms));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn references_normalize_like_containerd() {
        assert_eq!(normalize_image("nginx"), ("docker.io/library/nginx".into(), "latest".into()));
        assert_eq!(normalize_image("nginx:1.27"), ("docker.io/library/nginx".into(), "1.27".into()));
        assert_eq!(normalize_image("bitnami/nginx"), ("docker.io/bitnami/nginx".into(), "latest".into()));
        assert_eq!(normalize_image("localhost:5000/app"), ("localhost:5000/app".into(), "latest".into()));
        assert!(image_size("docker.io/library/ngnix").is_none());
        assert!(image_size("ghcr.io/org/app").is_some());
    }
}
