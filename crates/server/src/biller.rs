//! Bill fetch: a [`Biller`] per service — the built-in demo biller over the
//! seeded `bills` table, or a department's HTTP API described in the config.

use crate::store::{Bill, Store};
use async_trait::async_trait;
use domain::Service;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum BillerError {
    #[error("department API unreachable: {0}")]
    Unreachable(String),
    #[error("department API answered {0}")]
    Status(u16),
    #[error("department API sent an unreadable bill: {0}")]
    Malformed(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

#[async_trait]
pub trait Biller: Send + Sync {
    /// The consumer's current bill, or `None` when the department has none.
    async fn fetch(
        &self,
        service: &Service,
        consumer_no: &str,
    ) -> Result<Option<Bill>, BillerError>;
}

/// Bills seeded into the central database (the demo, and departments that
/// upload bill files).
pub struct DemoBiller {
    pub store: Store,
}

#[async_trait]
impl Biller for DemoBiller {
    async fn fetch(
        &self,
        service: &Service,
        consumer_no: &str,
    ) -> Result<Option<Bill>, BillerError> {
        Ok(self.store.find_bill(&service.code, consumer_no).await?)
    }
}

/// One department API from the config:
/// `GET {url}?service=<code>&consumer_no=<no>` → 200 with
/// `{"bill_ref", "consumer_name", "amount_paise", "due_date", "paid"?}`,
/// or 404 when there is no bill.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct HttpBillerConfig {
    pub services: Vec<String>,
    pub url: String,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_timeout() -> u64 {
    10
}

pub struct HttpBiller {
    url: String,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct DeptBill {
    bill_ref: String,
    consumer_name: String,
    amount_paise: i64,
    due_date: String,
    #[serde(default)]
    paid: bool,
}

impl HttpBiller {
    pub fn new(cfg: &HttpBillerConfig) -> HttpBiller {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(cfg.timeout_secs))
            .build()
            .expect("HTTP client builds");
        HttpBiller {
            url: cfg.url.clone(),
            client,
        }
    }
}

#[async_trait]
impl Biller for HttpBiller {
    async fn fetch(
        &self,
        service: &Service,
        consumer_no: &str,
    ) -> Result<Option<Bill>, BillerError> {
        let r = self
            .client
            .get(&self.url)
            .query(&[
                ("service", service.code.as_str()),
                ("consumer_no", consumer_no),
            ])
            .send()
            .await
            .map_err(|e| BillerError::Unreachable(e.to_string()))?;
        if r.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !r.status().is_success() {
            return Err(BillerError::Status(r.status().as_u16()));
        }
        let b: DeptBill = r
            .json()
            .await
            .map_err(|e| BillerError::Malformed(e.to_string()))?;
        if b.amount_paise <= 0
            || b.amount_paise > domain::Paise::MAX_INPUT.as_i64()
            || b.bill_ref.len() > 64
            || b.consumer_name.chars().count() > 100
        {
            return Err(BillerError::Malformed("amount or text out of range".into()));
        }
        Ok(Some(Bill {
            service_code: service.code.clone(),
            consumer_no: consumer_no.to_string(),
            bill_ref: b.bill_ref,
            // The department's text is shown at the counter and printed:
            // the kiosk's text rule, stripping instead of refusing (the
            // citizen's bill must still be payable).
            consumer_name: domain::text::sanitize_text(&b.consumer_name, 100),
            amount: b.amount_paise,
            due_date: b.due_date,
            paid: b.paid,
        }))
    }
}

/// Which biller serves which service.
pub struct Billers {
    by_service: HashMap<String, Arc<dyn Biller>>,
    default: Arc<dyn Biller>,
}

impl Billers {
    pub fn new(store: &Store, http: &[HttpBillerConfig]) -> Billers {
        let mut by_service: HashMap<String, Arc<dyn Biller>> = HashMap::new();
        for cfg in http {
            let b: Arc<dyn Biller> = Arc::new(HttpBiller::new(cfg));
            for s in &cfg.services {
                by_service.insert(s.clone(), b.clone());
            }
        }
        Billers {
            by_service,
            default: Arc::new(DemoBiller {
                store: store.clone(),
            }),
        }
    }
    pub async fn fetch(
        &self,
        service: &Service,
        consumer_no: &str,
    ) -> Result<Option<Bill>, BillerError> {
        self.by_service
            .get(&service.code)
            .unwrap_or(&self.default)
            .fetch(service, consumer_no)
            .await
    }
}
