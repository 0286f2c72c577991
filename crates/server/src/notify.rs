//! Sends queued messages (SMS and e-mail to consumers) with retries.
//!
//! A payment or cancellation writes its message rows in the same
//! transaction as the ledger lines; this sender only reads due rows and
//! marks them sent or schedules the next attempt (capped exponential
//! back-off, no give-up), so nothing is lost while a gateway is down.

use crate::store::{Notification, Store};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// An HTTP SMS gateway: `POST url` with JSON `{"to", "text", "ref"}`; any 2xx is success.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SmsConfig {
    pub url: String,
    #[serde(default)]
    pub sender_id: Option<String>,
}

/// An SMTP relay (plain SMTP to a local or trusted relay, which does TLS onward).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub from: String,
}

pub struct Notifier {
    pub store: Store,
    pub sms: Option<SmsConfig>,
    pub smtp: Option<SmtpConfig>,
    client: reqwest::Client,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunStats {
    pub sent: usize,
    pub failed: usize,
    pub expired: usize,
}

/// Queued messages older than this are given up.
pub const MAX_AGE_MS: i64 = 48 * 3600 * 1000;

/// Delay before attempt `n + 1`: 30 s doubling, at most an hour.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(0, 7) as u32;
    (30_000i64 * 2i64.pow(exp)).min(3_600_000)
}

impl Notifier {
    pub fn new(store: Store, sms: Option<SmsConfig>, smtp: Option<SmtpConfig>) -> Notifier {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(15))
            .build()
            .expect("HTTP client builds");
        Notifier {
            store,
            sms,
            smtp,
            client,
        }
    }

    /// Tries every due message once.
    pub async fn run_once(&self) -> Result<RunStats, crate::store::StoreError> {
        let mut st = RunStats {
            expired: (self
                .store
                .expire_notifications(self.store.now_ms() - MAX_AGE_MS)
                .await?
                + self.store.expire_held_notifications().await?) as usize,
            ..Default::default()
        };
        let due = self.store.claim_due_notifications(200).await?;
        for mut n in due {
            if n.subject == crate::store::HELD_SUBJECT {
                // Claimed only by the process holding the text; it may have
                // been sent and forgotten between the claim and now.
                match self.store.held_text(n.id) {
                    Some(text) => n.body = text,
                    None => continue,
                }
            }
            match self.send(&n).await {
                Ok(()) => {
                    self.store.mark_notification_sent(n.id).await?;
                    self.store.forget_held(n.id);
                    st.sent += 1;
                }
                Err(e) => {
                    tracing::warn!(id = %n.id, channel = %n.channel, error = %e, "notification not sent; will retry");
                    let next = self.store.now_ms() + backoff_ms(n.attempts);
                    self.store.mark_notification_failed(n.id, &e, next).await?;
                    st.failed += 1;
                }
            }
        }
        Ok(st)
    }

    async fn send(&self, n: &Notification) -> Result<(), String> {
        match n.channel.as_str() {
            "sms" => {
                let cfg = self.sms.as_ref().ok_or("no SMS gateway configured")?;
                let r = self
                    .client
                    .post(&cfg.url)
                    .json(&serde_json::json!({"to": n.recipient, "text": n.body, "ref": n.id, "sender": cfg.sender_id}))
                    .send()
                    .await
                    .map_err(|e| format!("SMS gateway: {e}"))?;
                if r.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("SMS gateway answered {}", r.status()))
                }
            }
            "email" => {
                let cfg = self.smtp.as_ref().ok_or("no SMTP relay configured")?;
                send_mail(cfg, &n.recipient, &n.subject, &n.body).await
            }
            other => Err(format!("unknown channel {other}")),
        }
    }

    /// Runs forever, every `every`.
    pub async fn run(self, every: std::time::Duration) {
        let mut t = tokio::time::interval(every);
        loop {
            t.tick().await;
            if let Err(e) = self.run_once().await {
                tracing::error!(error = %e, "notification run failed");
            }
        }
    }
}

/// One message over SMTP (RFC 5321): EHLO, MAIL, RCPT, DATA, QUIT.
pub async fn send_mail(
    cfg: &SmtpConfig,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<(), String> {
    let clean = |s: &str| !s.contains(['\r', '\n', '<', '>']);
    if !clean(to) || !clean(&cfg.from) || subject.contains(['\r', '\n']) {
        return Err("address or subject has forbidden characters".into());
    }
    let io = |e: std::io::Error| format!("SMTP: {e}");
    let stream = tokio::time::timeout(
        std::time::Duration::from_secs(15),
        tokio::net::TcpStream::connect((cfg.host.as_str(), cfg.port)),
    )
    .await
    .map_err(|_| "SMTP: connect timed out".to_string())?
    .map_err(io)?;
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    async fn reply(
        r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
        want: char,
    ) -> Result<(), String> {
        loop {
            let mut line = String::new();
            let n = r
                .read_line(&mut line)
                .await
                .map_err(|e| format!("SMTP: {e}"))?;
            if n == 0 {
                return Err("SMTP: connection closed".into());
            }
            if line.len() < 4 || !line.starts_with(want) {
                return Err(format!("SMTP: unexpected reply {:?}", line.trim_end()));
            }
            if line.as_bytes()[3] == b' ' {
                return Ok(());
            }
        }
    }
    reply(&mut r, '2').await?;
    for (cmd, want) in [
        ("EHLO kiosk-server\r\n".to_string(), '2'),
        (format!("MAIL FROM:<{}>\r\n", cfg.from), '2'),
        (format!("RCPT TO:<{to}>\r\n"), '2'),
        ("DATA\r\n".to_string(), '3'),
    ] {
        w.write_all(cmd.as_bytes()).await.map_err(io)?;
        reply(&mut r, want).await?;
    }
    // Dot-stuffing: a line starting with '.' gets another.
    let text: String = body
        .replace("\r\n", "\n")
        .split('\n')
        .map(|l| {
            if l.starts_with('.') {
                format!(".{l}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n");
    let msg = format!(
        "From: <{}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n.\r\n",
        cfg.from
    );
    w.write_all(msg.as_bytes()).await.map_err(io)?;
    reply(&mut r, '2').await?;
    w.write_all(b"QUIT\r\n").await.map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(super::backoff_ms(0), 30_000);
        assert_eq!(super::backoff_ms(1), 60_000);
        assert_eq!(super::backoff_ms(20), 3_600_000);
    }
}
