//! `Str`: the string type of object fields. Objects are copied on every write (the API server
//! never edits a stored object in place), so their strings are shared, immutable and cheap to
//! clone: cloning a Pod bumps reference counts instead of allocating each name, label and
//! condition again. The empty string allocates nothing, and the few dozen strings every object
//! repeats ("Running", "True", "ContainersReady", "kubelet") are shared from one table.
//!
//! A `Str` is one thin pointer (8 bytes, where `Rc<str>` is 16): an object holds dozens of
//! them, and a cluster of 150,000 pods holds a million objects.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::rc::Rc;

/// Equality, order and hash are those of the `str` it holds (as `Borrow<str>` requires).
#[derive(Clone, Default)]
pub struct Str(Option<thin::Thin>);

impl PartialEq for Str {
    fn eq(&self, o: &Str) -> bool {
        match (&self.0, &o.0) {
            (Some(a), Some(b)) => a.ptr_eq(b) || a.as_str() == b.as_str(),
            (a, b) => a.is_none() && b.is_none(),
        }
    }
}
impl Eq for Str {}
impl PartialOrd for Str {
    fn partial_cmp(&self, o: &Str) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Str {
    fn cmp(&self, o: &Str) -> std::cmp::Ordering {
        self.as_str().cmp(o.as_str())
    }
}

/// The shared string behind a non-empty `Str`: a count, a length and the bytes in one block.
mod thin {
    use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
    use std::cell::Cell;
    use std::ptr::NonNull;

    /// The count is a plain `Cell`, as in `Rc<str>`, not an atomic: the engine runs on one
    /// thread (the browser's), and a locked add or subtract on every copy and drop of a string
    /// kept the processor from overlapping the cache misses around it (8% of the 150,000-pod
    /// run). So a `Str` is neither `Send` nor `Sync`.
    #[repr(C)]
    struct Header {
        count: Cell<usize>,
        len: usize,
    }

    const DATA: usize = std::mem::size_of::<Header>();

    /// (`NonNull` makes it neither `Send` nor `Sync`, which the plain count needs.)
    pub struct Thin(NonNull<Header>);

    fn layout(len: usize) -> Layout {
        // Only fails past isize::MAX bytes, which no `str` reaches.
        let bytes = Layout::array::<u8>(len).expect("a str's length fits a layout");
        Layout::new::<Header>().extend(bytes).expect("a str's length fits a layout").0.pad_to_align()
    }

    impl Thin {
        pub fn new(s: &str) -> Thin {
            let layout = layout(s.len());
            // SAFETY: the layout has room for the header and then `s.len()` bytes at DATA
            // (`extend` puts them right after the 16-byte header, which needs no padding).
            unsafe {
                let p = alloc(layout) as *mut Header;
                let Some(p) = NonNull::new(p) else { handle_alloc_error(layout) };
                p.as_ptr().write(Header { count: Cell::new(1), len: s.len() });
                std::ptr::copy_nonoverlapping(s.as_ptr(), (p.as_ptr() as *mut u8).add(DATA), s.len());
                Thin(p)
            }
        }
        pub fn as_str(&self) -> &str {
            // SAFETY: the block is alive while `self` holds a count, and its bytes were copied
            // from a `str` and never change.
            unsafe {
                let h = self.0.as_ptr();
                let bytes = std::slice::from_raw_parts((h as *const u8).add(DATA), (*h).len);
                std::str::from_utf8_unchecked(bytes)
            }
        }
        pub fn ptr_eq(&self, o: &Thin) -> bool {
            self.0 == o.0
        }
        fn header(&self) -> &Header {
            // SAFETY: alive while `self` holds a count.
            unsafe { self.0.as_ref() }
        }
    }

    impl Clone for Thin {
        fn clone(&self) -> Thin {
            let count = &self.header().count;
            match count.get().checked_add(1) {
                Some(c) => count.set(c),
                None => std::process::abort(),
            }
            Thin(self.0)
        }
    }

    impl Drop for Thin {
        fn drop(&mut self) {
            let count = &self.header().count;
            if count.get() != 1 {
                count.set(count.get() - 1);
                return;
            }
            let len = self.header().len;
            // SAFETY: this was the last count; the block was allocated with this layout.
            unsafe { dealloc(self.0.as_ptr() as *mut u8, layout(len)) }
        }
    }
}

const COMMON: &[&str] = &[
    "True", "False", "Running", "Pending", "Ready", "ContainersReady", "Initialized", "PodScheduled",
    "PodReadyToStartContainers", "ContainersNotReady", "ContainerCreating", "Normal", "Warning",
    "kubelet", "default-scheduler", "replicaset-controller", "deployment-controller", "Pod",
    "ReplicaSet", "Deployment", "v1", "apps/v1", "default", "Always", "IfNotPresent", "ClusterFirst",
    "/dev/termination-log", "File", "TCP", "Exists", "NoExecute", "NoSchedule",
    "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable", "BestEffort", "Scheduled",
    "Pulling", "Pulled", "Created", "Started", "SuccessfulCreate", "ScalingReplicaSet", "app",
    "pod-template-hash", "kube-node-lease", "Available", "Progressing", "PreemptLowerPriority",
    "/var/run/secrets/kubernetes.io/serviceaccount",
];

/// Where a string would sit in `SLOTS`: from its length and first and last bytes.
fn slot_of(s: &[u8]) -> usize {
    let (first, last) = (s[0] as usize, s[s.len() - 1] as usize);
    (first.wrapping_mul(7) ^ last.wrapping_mul(31) ^ s.len().wrapping_mul(13)) & 255
}

const FREE: u8 = u8::MAX;
const SHARED_SLOT: u8 = u8::MAX - 1;

fn common_index(s: &str) -> Option<usize> {
    // One probe: each slot holds the one common string that hashes there, or says that several
    // do (then the table is searched), or none (the usual answer for a name or a message).
    static SLOTS: std::sync::OnceLock<[u8; 256]> = std::sync::OnceLock::new();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    let slots = SLOTS.get_or_init(|| {
        let mut t = [FREE; 256];
        for (i, c) in COMMON.iter().enumerate() {
            let at = slot_of(c.as_bytes());
            t[at] = if t[at] == FREE { i as u8 } else { SHARED_SLOT };
        }
        t
    });
    match slots[slot_of(s.as_bytes())] {
        FREE => None,
        SHARED_SLOT => COMMON.iter().position(|c| *c == s),
        i => (COMMON[i as usize] == s).then_some(i as usize),
    }
}

fn common(i: usize) -> Str {
    thread_local! {
        static TABLE: Vec<Str> = COMMON.iter().map(|s| Str(Some(thin::Thin::new(s)))).collect();
    }
    TABLE.with(|t| t[i].clone())
}

impl Str {
    pub const EMPTY: Str = Str(None);

    pub fn new(s: &str) -> Str {
        if s.is_empty() {
            return Str(None);
        }
        match common_index(s) {
            Some(i) => common(i),
            None => Str(Some(thin::Thin::new(s))),
        }
    }
    /// `a + b + c...` straight into a shared string.
    pub fn concat(parts: &[&str]) -> Str {
        with_concat(parts, Str::new)
    }
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Some(t) => t.as_str(),
            None => "",
        }
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }
    pub fn clear(&mut self) {
        self.0 = None;
    }
}

impl Deref for Str {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::hash::Hash for Str {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.as_str().hash(h)
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Str {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&str> for Str {
    fn from(s: &str) -> Str {
        Str::new(s)
    }
}
impl From<&String> for Str {
    fn from(s: &String) -> Str {
        Str::new(s)
    }
}
impl From<String> for Str {
    fn from(s: String) -> Str {
        Str::new(&s)
    }
}
impl From<&Str> for Str {
    fn from(s: &Str) -> Str {
        s.clone()
    }
}
impl From<Str> for String {
    fn from(s: Str) -> String {
        s.as_str().to_string()
    }
}
impl From<&Str> for String {
    fn from(s: &Str) -> String {
        s.as_str().to_string()
    }
}

impl PartialEq<str> for Str {
    fn eq(&self, o: &str) -> bool {
        self.as_str() == o
    }
}
impl PartialEq<&str> for Str {
    fn eq(&self, o: &&str) -> bool {
        self.as_str() == *o
    }
}
impl PartialEq<String> for Str {
    fn eq(&self, o: &String) -> bool {
        self.as_str() == o.as_str()
    }
}
impl PartialEq<Str> for str {
    fn eq(&self, o: &Str) -> bool {
        self == o.as_str()
    }
}
impl PartialEq<Str> for &str {
    fn eq(&self, o: &Str) -> bool {
        *self == o.as_str()
    }
}
impl PartialEq<Str> for String {
    fn eq(&self, o: &Str) -> bool {
        self.as_str() == o.as_str()
    }
}

impl serde::Serialize for Str {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Str {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Str, D::Error> {
        String::deserialize(d).map(Str::from)
    }
}

/// `a + b + c...` in one allocation: the hot paths build keys this way rather than with
/// `format!`, which costs ten times as much.
pub fn concat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

/// `s` in double quotes, escaped as `{:?}` would (Go's `%q` in Kubernetes' messages), without
/// the formatting machinery when nothing needs escaping (an image name never does).
pub fn quote(s: &str) -> String {
    if s.bytes().all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\') {
        concat(&["\"", s, "\""])
    } else {
        format!("{s:?}")
    }
}

/// Calls `f` with `a + b + c...`, built on the stack when it fits: for lookups by a joined key,
/// and for shared strings, which copy it anyway.
pub fn with_concat<R>(parts: &[&str], f: impl FnOnce(&str) -> R) -> R {
    let n: usize = parts.iter().map(|p| p.len()).sum();
    let mut buf = [0u8; 320];
    if n > buf.len() {
        return f(&concat(parts));
    }
    let mut at = 0;
    for p in parts {
        buf[at..at + p.len()].copy_from_slice(p.as_bytes());
        at += p.len();
    }
    // SAFETY: `buf[..n]` is the `&str`s of `parts` one after another, so it is UTF-8 too.
    f(unsafe { std::str::from_utf8_unchecked(&buf[..n]) })
}

/// A short string written on the stack (`write!` into it), for a value about to become a `Str`:
/// one allocation, not two. Writing past `N` bytes is an error (`fmt::Error`).
pub struct StackStr<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Default for StackStr<N> {
    fn default() -> Self {
        StackStr { buf: [0; N], len: 0 }
    }
}

impl<const N: usize> StackStr<N> {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn as_str(&self) -> &str {
        // Only whole `&str`s are ever written in (see `write_str`).
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

impl<const N: usize> fmt::Write for StackStr<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > N {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// `n` as lower-case hex digits (at least one), written into `buf`. Two digits at a time from
/// a table of the 256 byte values: every container id is 64 digits, every Event name 16.
pub fn hex(n: u64, buf: &mut [u8; 16]) -> &str {
    const PAIRS: [[u8; 2]; 256] = {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut t = [[0u8; 2]; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = [DIGITS[i >> 4], DIGITS[i & 15]];
            i += 1;
        }
        t
    };
    for (i, pair) in buf.chunks_exact_mut(2).enumerate() {
        pair.copy_from_slice(&PAIRS[((n >> (56 - 8 * i)) & 255) as usize]);
    }
    let digits = (64 - n.leading_zeros() as usize).div_ceil(4).max(1);
    // SAFETY: ASCII hex digits.
    unsafe { std::str::from_utf8_unchecked(&buf[16 - digits..]) }
}

/// Appends `n` as lower-case hex, zero-padded to `width` digits, to a `String` or a
/// `StackStr` (which refuses, with `fmt::Error`, what does not fit).
pub fn push_hex(s: &mut impl fmt::Write, n: u64, width: usize) -> fmt::Result {
    let mut buf = [0; 16];
    // `hex` fills all 16 digits, zeros included, and points at the significant ones.
    let digits = hex(n, &mut buf).len();
    for _ in 16..width {
        s.write_char('0')?;
    }
    let shown = digits.max(width.min(16));
    // SAFETY: ASCII hex digits.
    s.write_str(unsafe { std::str::from_utf8_unchecked(&buf[16 - shown..]) })
}

/// A collection shared between the versions of an object: cloning bumps a reference count, the
/// first change copies (`DerefMut` is `Rc::make_mut`), and an empty one allocates nothing. It
/// reads and writes like the collection it derefs to.
///
/// - `SharedMap`: labels, annotations and selectors.
/// - `SharedVec`: lists that copies of an object would otherwise copy: a pod's status conditions
///   and container statuses (shared by the kubelet's copy and the stored version), its
///   containers and tolerations (shared with its template), every object's owner references.
pub struct Shared<C>(Option<Rc<C>>);

pub type SharedMap = Shared<std::collections::BTreeMap<Str, Str>>;
pub type SharedVec<T> = Shared<Vec<T>>;

/// What `Shared` can hold: a collection with a static empty value to lend when it has none.
pub trait Collection: Default + Clone + 'static {
    const EMPTY: &'static Self;
    fn holds_nothing(&self) -> bool;
}

impl Collection for std::collections::BTreeMap<Str, Str> {
    const EMPTY: &'static Self = &std::collections::BTreeMap::new();
    fn holds_nothing(&self) -> bool {
        self.is_empty()
    }
}

impl<T: Clone + 'static> Collection for Vec<T> {
    const EMPTY: &'static Self = &Vec::new();
    fn holds_nothing(&self) -> bool {
        self.is_empty()
    }
}

impl<C: Collection> Shared<C> {
    pub fn new() -> Self {
        Shared(None)
    }
    pub fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|c| c.holds_nothing())
    }
    /// Whether both are the same shared collection (then equal without comparing).
    pub fn same(&self, o: &Self) -> bool {
        matches!((&self.0, &o.0), (Some(a), Some(b)) if Rc::ptr_eq(a, b))
    }
}

impl<C> Clone for Shared<C> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<C> Default for Shared<C> {
    fn default() -> Self {
        Shared(None)
    }
}

impl<C: Collection> Deref for Shared<C> {
    type Target = C;
    fn deref(&self) -> &C {
        self.0.as_deref().unwrap_or(C::EMPTY)
    }
}

impl<C: Collection> std::ops::DerefMut for Shared<C> {
    fn deref_mut(&mut self) -> &mut C {
        Rc::make_mut(self.0.get_or_insert_with(Default::default))
    }
}

impl<C: Collection + PartialEq> PartialEq for Shared<C> {
    fn eq(&self, o: &Self) -> bool {
        self.same(o) || **self == **o
    }
}
impl<C: Collection + Eq> Eq for Shared<C> {}

impl<C: Collection + fmt::Debug> fmt::Debug for Shared<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<C: Collection> From<C> for Shared<C> {
    fn from(c: C) -> Self {
        if c.holds_nothing() { Shared(None) } else { Shared(Some(Rc::new(c))) }
    }
}

impl<X, C: Collection + FromIterator<X>> FromIterator<X> for Shared<C> {
    fn from_iter<I: IntoIterator<Item = X>>(it: I) -> Self {
        it.into_iter().collect::<C>().into()
    }
}

impl<'a, C: Collection> IntoIterator for &'a Shared<C>
where
    &'a C: IntoIterator,
{
    type Item = <&'a C as IntoIterator>::Item;
    type IntoIter = <&'a C as IntoIterator>::IntoIter;
    fn into_iter(self) -> Self::IntoIter {
        (**self).into_iter()
    }
}

impl<C: Collection + serde::Serialize> serde::Serialize for Shared<C> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(s)
    }
}

impl<'de, C: Collection + serde::Deserialize<'de>> serde::Deserialize<'de> for Shared<C> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Shared<C>, D::Error> {
        C::deserialize(d).map(Shared::from)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_stack_string_holds_what_fits_and_refuses_the_rest() {
        use std::fmt::Write;
        let mut ip = StackStr::<16>::new();
        assert!(write!(ip, "10.{}.{}.{}", 244, 1, 2).is_ok());
        assert_eq!(ip.as_str(), "10.244.1.2");
        let mut small = StackStr::<4>::new();
        assert!(write!(small, "12345").is_err());
        assert_eq!(small.as_str(), "", "a piece that does not fit is not written at all");
    }

    use super::*;

    #[test]
    fn a_shared_list_is_copied_only_when_changed() {
        let mut a: SharedVec<Str> = vec![Str::new("Ready")].into();
        let b = a.clone();
        assert!(Rc::ptr_eq(a.0.as_ref().unwrap(), b.0.as_ref().unwrap()), "a clone shares");
        a.push(Str::new("Initialized"));
        assert_eq!((a.len(), b.len()), (2, 1), "a change copies; the clone keeps the old list");
        let empty = SharedVec::<Str>::new();
        assert!(empty.is_empty() && empty == SharedVec::from(Vec::new()));
        assert_eq!(serde_json::to_string(&b).unwrap(), r#"["Ready"]"#);
        assert_eq!(serde_json::from_str::<SharedVec<Str>>(r#"["Ready"]"#).unwrap(), b);
    }

    #[test]
    fn shared_strings_outlive_any_one_holder() {
        // Clones share one block; each drop gives back one count; the last frees it.
        let names: Vec<Str> = (0..1000).map(|i| Str::from(format!("web-{i}-abcde"))).collect();
        let mut copies: Vec<Str> = names.iter().flat_map(|n| [n.clone(), n.clone()]).collect();
        drop(names);
        copies.truncate(1001);
        assert_eq!(copies[1000], "web-500-abcde");
        assert!(copies[0].0.as_ref().unwrap().ptr_eq(copies[1].0.as_ref().unwrap()));
        // Copies of copies: the block lives until the last one goes.
        let more: Vec<Str> = copies.iter().map(|s| s.clone()).collect();
        drop(copies);
        assert_eq!(more[1000], "web-500-abcde");
        // Equal by content, ordered and hashed as str, so maps of Str are looked up by &str.
        let (x, y) = (Str::from(String::from("é-ü")), Str::new("é-ü"));
        assert!(x == y && !x.0.as_ref().unwrap().ptr_eq(y.0.as_ref().unwrap()));
        assert!(Str::new("a") < Str::new("b") && Str::EMPTY < Str::new("a") && Str::EMPTY == Str::new(""));
        let mut m = std::collections::HashMap::new();
        m.insert(Str::new("/registry/pods/default/web"), 1);
        assert_eq!(m.get("/registry/pods/default/web"), Some(&1));
    }

    #[test]
    fn behaves_like_a_string() {
        let a = Str::from("web");
        assert_eq!(a, "web");
        assert_eq!(a.clone(), Str::new("web"));
        assert_eq!(format!("{a}/{a:?}"), "web/\"web\"");
        assert!(Str::default().is_empty());
        assert_eq!(Str::from(String::new()), Str::EMPTY);
        assert!(Str::from("a") < Str::from("b"));
        let mut m = std::collections::BTreeMap::new();
        m.insert(Str::from("app"), 1);
        assert_eq!(m.get("app"), Some(&1));
        let mut h: std::collections::HashMap<Str, i32> = Default::default();
        h.insert(Str::from("app"), 1);
        h.insert(Str::EMPTY, 2);
        assert_eq!((h.get("app"), h.get("")), (Some(&1), Some(&2)), "hashes like the str it holds");
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"web\"");
        let mut l = SharedMap::new();
        assert!(l.is_empty() && l.get("app").is_none());
        l.insert("app".into(), "web".into());
        let copy = l.clone();
        l.insert("tier".into(), "fe".into());
        assert_eq!((copy.len(), l.len()), (1, 2), "a change copies; the clone keeps the old map");
        l.remove("tier");
        assert_eq!(l, copy);
        l.clear();
        assert_eq!(l, SharedMap::new(), "an emptied map equals an empty one");
        assert_eq!(serde_json::to_string(&copy).unwrap(), r#"{"app":"web"}"#);
        assert_eq!(serde_json::from_str::<Str>("\"x\"").unwrap(), "x");
        assert_eq!(concat(&["/registry/pods/", "default", "/", "web"]), "/registry/pods/default/web");
        assert_eq!(Str::concat(&["web", "-", "abc"]), "web-abc");
        assert_eq!(Str::concat(&["x"; 300]).len(), 300);
        let (a, b) = (Str::from("Running"), Str::from(String::from("Running")));
        assert!(a.0.as_ref().unwrap().ptr_eq(b.0.as_ref().unwrap()), "common strings are shared");
        assert_eq!(Str::from("Runnin"), "Runnin");
        for (n, w) in [(0u64, 0), (0, 4), (0xabc, 0), (0xabc, 8), (u64::MAX, 16), (1 << 60, 16), (0xabc, 20), (u64::MAX, 17), (0x1234_5678_9abc, 15)] {
            let mut s = String::new();
            assert!(push_hex(&mut s, n, w).is_ok());
            assert_eq!(s, format!("{n:0w$x}"));
            assert_eq!(hex(n, &mut [0; 16]), format!("{n:x}"));
        }
        // Every common string is found in its table, and only an equal string matches it.
        for (i, c) in COMMON.iter().enumerate() {
            assert_eq!(common_index(c), Some(i), "{c}");
            assert_eq!(common_index(&c[..c.len() - 1]), None);
            assert_eq!(common_index(&[c, "x"].concat()), None);
        }
        assert!(Str::new("Pending").0.as_ref().unwrap().ptr_eq(Str::new("Pending").0.as_ref().unwrap()));
        assert_eq!(std::mem::size_of::<Str>(), std::mem::size_of::<usize>(), "one thin pointer");
    }
}
