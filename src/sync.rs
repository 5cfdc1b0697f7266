//! What threads share: a lock that outlives a panicked holder, and Ctrl-C.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

/// Locks `m`, taking over what a thread that panicked while holding it left: what it
/// recorded so far is still worth reporting, and nothing here is left half-changed.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

type Wake = Arc<dyn Fn() + Send + Sync>;

/// Ctrl-C: a flag the run's loops look at, and wakers that make whatever they block on
/// (a read, a pause, a watch) return at once. The handler only sets the flag and
/// wakes; the run itself finishes (the recording, the summary, the report) and exits
/// 130. A second Ctrl-C ends the process at once, for a run stuck where nothing wakes.
#[derive(Clone, Default)]
pub struct Interrupt(Arc<Inner>);

#[derive(Default)]
struct Inner {
    hit: AtomicBool,
    next: AtomicU64,
    wakers: Mutex<Vec<(u64, Wake)>>,
}

/// While alive, the waker it was made for is called on Ctrl-C.
pub struct Waking<'a> {
    interrupt: &'a Interrupt,
    id: u64,
}

impl Drop for Waking<'_> {
    fn drop(&mut self) {
        lock(&self.interrupt.0.wakers).retain(|(id, _)| *id != self.id);
    }
}

impl Interrupt {
    /// The process's Ctrl-C, caught the first time this is called (a process has one).
    pub fn caught() -> &'static Interrupt {
        static CAUGHT: OnceLock<Interrupt> = OnceLock::new();
        CAUGHT.get_or_init(|| {
            let interrupt = Interrupt::default();
            let handler = interrupt.clone();
            // Without a handler (another library set one) Ctrl-C keeps its default:
            // the process ends at once, which is still an end.
            let _ = ctrlc::set_handler(move || {
                if !handler.trigger() {
                    std::process::exit(130);
                }
            });
            interrupt
        })
    }

    /// Sets the flag and wakes every waiter; false when it was set already.
    pub fn trigger(&self) -> bool {
        if self.0.hit.swap(true, Ordering::SeqCst) {
            return false;
        }
        let wakers: Vec<Wake> = lock(&self.0.wakers)
            .iter()
            .map(|(_, w)| Arc::clone(w))
            .collect();
        for wake in wakers {
            wake();
        }
        true
    }

    pub fn hit(&self) -> bool {
        self.0.hit.load(Ordering::SeqCst)
    }

    /// Calls `wake` on Ctrl-C for as long as the result lives (at once, if it came
    /// already).
    pub fn on_hit(&self, wake: impl Fn() + Send + Sync + 'static) -> Waking<'_> {
        let id = self.0.next.fetch_add(1, Ordering::Relaxed);
        let wake: Wake = Arc::new(wake);
        lock(&self.0.wakers).push((id, Arc::clone(&wake)));
        if self.hit() {
            wake();
        }
        Waking {
            interrupt: self,
            id,
        }
    }

    /// Sleeps `wait`, or less when Ctrl-C comes; true when it did.
    pub fn pause(&self, wait: Duration) -> bool {
        let (tx, rx) = mpsc::sync_channel::<()>(1);
        let _waking = self.on_hit(move || {
            let _ = tx.try_send(());
        });
        let _ = rx.recv_timeout(wait);
        self.hit()
    }

    /// Runs `work` on a thread of its own and waits for it, or for Ctrl-C (`None`):
    /// for a call that blocks where nothing can wake it (connecting). The thread is
    /// left behind when interrupted; the process is about to end.
    pub fn run<T: Send + 'static>(
        &self,
        name: &str,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> std::io::Result<Option<T>> {
        let (tx, rx) = mpsc::sync_channel::<Option<T>>(1);
        let woken = tx.clone();
        let _waking = self.on_hit(move || {
            let _ = woken.try_send(None);
        });
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let _ = tx.send(Some(work()));
            })?;
        // The worker's sender lives until it has sent: a closed channel means it panicked.
        Ok(rx.recv().unwrap_or(None).filter(|_| !self.hit()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn ctrl_c_wakes_a_pause_and_a_blocked_call() {
        let interrupt = Interrupt::default();
        let other = interrupt.clone();
        let waker = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            other.trigger()
        });
        let started = Instant::now();
        assert!(interrupt.pause(Duration::from_secs(30)));
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(waker.join().unwrap(), "the first Ctrl-C");
        assert!(!interrupt.trigger(), "a second one");
        // Already hit: a new wait returns at once, and so does a blocked call.
        assert!(interrupt.pause(Duration::from_secs(30)));
        let (_hold, blocked) = mpsc::channel::<()>();
        let got = interrupt
            .run("blocked", move || blocked.recv().is_ok())
            .unwrap();
        assert_eq!(got, None);
    }

    #[test]
    fn a_call_that_finishes_gives_its_result_and_wakers_go_away() {
        let interrupt = Interrupt::default();
        assert_eq!(interrupt.run("quick", || 42).unwrap(), Some(42));
        assert!(!interrupt.pause(Duration::from_millis(1)));
        {
            let _waking = interrupt.on_hit(|| {});
            assert_eq!(lock(&interrupt.0.wakers).len(), 1);
        }
        assert!(lock(&interrupt.0.wakers).is_empty());
    }

    #[test]
    fn a_poisoned_lock_is_still_usable() {
        let m = Arc::new(Mutex::new(1));
        let held = Arc::clone(&m);
        let _ = std::thread::spawn(move || {
            let _guard = held.lock().unwrap();
            panic!("while holding the lock");
        })
        .join();
        assert_eq!(*lock(&m), 1);
    }
}
