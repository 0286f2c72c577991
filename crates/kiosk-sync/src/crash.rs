//! Crash points for the kill -9 matrix. Compiled in only with the
//! `test-knobs` feature (which only the tests enable), and off unless
//! `KIOSK_CRASH_AT` is set;
//! then the process sends itself SIGKILL at that point of the push path
//! (on its `KIOSK_CRASH_NTH` visit, default the first), which is exactly
//! what a power cut or a killed app does: no destructor, no flush.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashPoint {
    /// Batch read from the outbox, nothing sent.
    BeforeSend,
    /// While the push request is on the wire (a random instant).
    MidRequest,
    /// The centre committed and answered; the answer is not stored yet.
    AfterServerCommit,
    /// While the outcomes are being written locally (a random instant).
    DuringAckWrite,
}

impl CrashPoint {
    pub const ALL: [CrashPoint; 4] = [
        CrashPoint::BeforeSend,
        CrashPoint::MidRequest,
        CrashPoint::AfterServerCommit,
        CrashPoint::DuringAckWrite,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CrashPoint::BeforeSend => "before_send",
            CrashPoint::MidRequest => "mid_request",
            CrashPoint::AfterServerCommit => "after_server_commit",
            CrashPoint::DuringAckWrite => "during_ack_write",
        }
    }

    pub fn parse(s: &str) -> Option<CrashPoint> {
        CrashPoint::ALL.into_iter().find(|p| p.name() == s)
    }
}

#[derive(Debug, Clone, Default)]
pub struct CrashPlan {
    point: Option<CrashPoint>,
    nth: u32,
    seen: u32,
    /// Upper bound of the random delay for the timed points.
    pub window: Duration,
}

impl CrashPlan {
    pub fn none() -> Self {
        CrashPlan::default()
    }

    /// The plan the environment asks for. Only in a build with the
    /// `test-knobs` feature (the tests'); otherwise never armed, whatever
    /// the environment says.
    pub fn from_env() -> Self {
        #[cfg(feature = "test-knobs")]
        {
            let point = std::env::var("KIOSK_CRASH_AT")
                .ok()
                .and_then(|s| CrashPoint::parse(&s));
            let nth = std::env::var("KIOSK_CRASH_NTH")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(1);
            let window_ms = std::env::var("KIOSK_CRASH_WINDOW_MS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(20);
            CrashPlan {
                point,
                nth,
                seen: 0,
                window: Duration::from_millis(window_ms),
            }
        }
        #[cfg(not(feature = "test-knobs"))]
        CrashPlan::none()
    }

    pub fn is_armed(&self) -> bool {
        self.point.is_some()
    }

    /// Called at each point; kills the process when this is the planned visit.
    pub fn at(&mut self, p: CrashPoint) {
        if self.point != Some(p) {
            return;
        }
        self.seen += 1;
        if self.seen != self.nth {
            return;
        }
        match p {
            CrashPoint::BeforeSend | CrashPoint::AfterServerCommit => kill_self(),
            // A random instant while the work goes on.
            CrashPoint::MidRequest | CrashPoint::DuringAckWrite => {
                let mut b = [0u8; 8];
                let _ = getrandom::fill(&mut b);
                let delay = self
                    .window
                    .mul_f64((u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64);
                std::thread::spawn(move || {
                    std::thread::sleep(delay);
                    kill_self();
                });
            }
        }
    }
}

/// SIGKILL to ourselves: no unwinding, no buffered writes flushed.
pub fn kill_self() -> ! {
    #[cfg(unix)]
    unsafe {
        // SAFETY: kill(2) on our own pid has no memory-safety effects.
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
    std::process::abort()
}
