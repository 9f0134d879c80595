//! TEMPORARY phase profiler (not to be committed).
use std::cell::RefCell;
use std::time::Instant;
thread_local! {
    static P: RefCell<Vec<(&'static str, u64, u128, u64)>> = RefCell::new(Vec::new());
}
pub struct Mark(Instant);
pub fn start() -> Mark { Mark(Instant::now()) }
pub fn count(name: &'static str, n: u64) {
    P.with(|p| {
        let mut p = p.borrow_mut();
        if let Some(e) = p.iter_mut().find(|e| e.0 == name) { e.1 += 1; e.3 += n; } else { p.push((name, 1, 0, n)); }
    });
}
impl Mark {
    pub fn lap(&mut self, name: &'static str, n: u64) {
        let now = Instant::now();
        let d = (now - self.0).as_nanos();
        self.0 = now;
        P.with(|p| {
            let mut p = p.borrow_mut();
            if let Some(e) = p.iter_mut().find(|e| e.0 == name) { e.1 += 1; e.2 += d; e.3 += n; } else { p.push((name, 1, d, n)); }
        });
    }
}
pub fn report() {
    P.with(|p| for (name, c, ns, n) in p.borrow().iter() {
        eprintln!("{name:30} calls {c:10} total {:8.3}s  per {:8.2}us  n/call {:8.2}", *ns as f64 / 1e9, *ns as f64 / 1e3 / *c as f64, *n as f64 / *c as f64);
    });
}
