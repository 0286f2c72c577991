//! The service catalogue: what the counter can take, at what rate.

use crate::{DomainError, Paise};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Who a departmental cheque must be drawn to (docs/domain.md "Cheque rules").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChequePayee {
    /// Electricity bills: "AO (CCC)".
    AoCcc,
    /// Water, telephone and mobile bills: "District e-Governance Society, <district>".
    DistrictEGovSociety,
    /// The department accepts no cheques.
    None,
}

impl ChequePayee {
    /// The payee name a cheque must carry, or `None` if cheques are not accepted.
    pub fn payee_name(self, district: &str) -> Option<String> {
        match self {
            ChequePayee::AoCcc => Some("AO (CCC)".to_string()),
            ChequePayee::DistrictEGovSociety => Some(format!(
                "District e-Governance Society, {}",
                district.trim()
            )),
            ChequePayee::None => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    pub code: String,
    pub name_en: String,
    pub name_hi: String,
    pub cheque_payee: ChequePayee,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub code: String,
    pub department: String,
    pub category_en: String,
    pub category_hi: String,
    pub name_en: String,
    pub name_hi: String,
    /// The most the state lets a kiosk charge the citizen for this service.
    pub state_rate: Paise,
    /// What this kiosk charges the citizen per transaction (≤ `state_rate`).
    pub charge: Paise,
    /// What the kiosk earns per transaction from the centre.
    pub commission: Paise,
    /// Label of the first identifier, e.g. "K No.".
    pub consumer_label_en: String,
    pub consumer_label_hi: String,
    /// Anchored regular expression the consumer number must match.
    pub consumer_pattern: String,
    pub bill_fetch_required: bool,
    pub offline_allowed: bool,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl Service {
    /// Normalises (trims, drops inner spaces) and checks a consumer number.
    pub fn check_consumer_no(&self, input: &str) -> Result<String, DomainError> {
        let v: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        if consumer_no_matches(&self.consumer_pattern, &v).map_err(DomainError::CatalogueInvalid)? {
            Ok(v)
        } else {
            Err(DomainError::ConsumerNoInvalid {
                label: self.consumer_label_en.clone(),
                value: input.chars().take(64).collect(),
            })
        }
    }

    /// Never above the state rate.
    pub fn check_charge(&self, charge: Paise) -> Result<(), DomainError> {
        if charge.is_negative() {
            return Err(DomainError::MoneyNegative);
        }
        if charge > self.state_rate {
            return Err(DomainError::ChargeAboveStateRate {
                charge,
                state_rate: self.state_rate,
            });
        }
        Ok(())
    }

    /// Case-insensitive match of a search term against both names and the code.
    pub fn matches(&self, term: &str) -> bool {
        let t = term.trim().to_lowercase();
        t.is_empty()
            || self.name_en.to_lowercase().contains(&t)
            || self.name_hi.contains(term.trim())
            || self.code.to_lowercase().contains(&t)
            || self.category_en.to_lowercase().contains(&t)
            || self.category_hi.contains(term.trim())
    }
}

/// The consumer-number rule on a normalised number (no spaces, upper case,
/// as [`Service::check_consumer_no`] makes it): at most 64 characters
/// matching the whole pattern. One home for the kiosk and the centre;
/// compiled patterns are cached (a catalogue has a few dozen, and the
/// centre checks every bill of every push). `Err` when the pattern does
/// not compile.
pub fn consumer_no_matches(pattern: &str, consumer_no: &str) -> Result<bool, String> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, Result<Regex, String>>>> = OnceLock::new();
    if consumer_no.len() > 64
        || consumer_no.contains(char::is_whitespace)
        || consumer_no.to_uppercase() != consumer_no
    {
        return Ok(false);
    }
    let mut c = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if c.len() > 10_000 {
        c.clear();
    }
    let re = c
        .entry(pattern.to_string())
        .or_insert_with(|| Regex::new(&anchored(pattern)).map_err(|e| e.to_string()));
    match re {
        Ok(r) => Ok(r.is_match(consumer_no)),
        Err(e) => Err(e.clone()),
    }
}

/// The whole number must match: `a|b` means `^(?:a|b)$`, not `^a|b$`.
fn anchored(p: &str) -> String {
    format!("^(?:{})$", p.trim_start_matches('^').trim_end_matches('$'))
}

fn has_devanagari(s: &str) -> bool {
    s.chars().any(|c| ('\u{0900}'..='\u{097F}').contains(&c))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    /// Catalogue version; a newer one replaces an older one.
    pub version: u32,
    /// True for made-up data shipped for demos and tests.
    #[serde(default)]
    pub sample: bool,
    #[serde(rename = "department", default)]
    pub departments: Vec<Department>,
    #[serde(rename = "service", default)]
    pub services: Vec<Service>,
}

impl Catalogue {
    /// Parses and validates a catalogue file (TOML).
    pub fn from_toml(s: &str) -> Result<Catalogue, DomainError> {
        let c: Catalogue =
            toml::from_str(s).map_err(|e| DomainError::CatalogueInvalid(e.to_string()))?;
        c.validate()?;
        Ok(c)
    }

    pub fn department(&self, code: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.code == code)
    }

    pub fn service(&self, code: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.code == code)
    }

    pub fn validate(&self) -> Result<(), DomainError> {
        let bad = |m: String| Err(DomainError::CatalogueInvalid(m));
        let mut seen = HashSet::new();
        for d in &self.departments {
            if d.code.trim().is_empty() || !seen.insert(&d.code) {
                return bad(format!("department code {:?} empty or repeated", d.code));
            }
            if d.name_en.trim().is_empty() || !has_devanagari(&d.name_hi) {
                return bad(format!(
                    "department {} needs English and Hindi names",
                    d.code
                ));
            }
        }
        let mut seen = HashSet::new();
        for s in &self.services {
            if s.code.trim().is_empty() || s.code.len() > 32 || !seen.insert(&s.code) {
                return bad(format!(
                    "service code {:?} empty, too long or repeated",
                    s.code
                ));
            }
            if self.department(&s.department).is_none() {
                return bad(format!(
                    "service {} names unknown department {}",
                    s.code, s.department
                ));
            }
            if s.name_en.trim().is_empty()
                || !has_devanagari(&s.name_hi)
                || !has_devanagari(&s.category_hi)
            {
                return bad(format!("service {} needs English and Hindi names", s.code));
            }
            if s.state_rate.is_negative() || s.commission.is_negative() {
                return bad(format!("service {} has a negative rate", s.code));
            }
            if let Err(e) = s.check_charge(s.charge) {
                return bad(format!("service {}: {e}", s.code));
            }
            if let Err(e) = Regex::new(&anchored(&s.consumer_pattern)) {
                return bad(format!("service {} consumer pattern: {e}", s.code));
            }
        }
        Ok(())
    }

    /// Services matching a term, English or Hindi.
    pub fn search<'a>(&'a self, term: &'a str) -> impl Iterator<Item = &'a Service> + 'a {
        self.services
            .iter()
            .filter(move |s| s.active && s.matches(term))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn electricity() -> Service {
        Service {
            code: "JVVNL".into(),
            department: "ELEC".into(),
            category_en: "Electricity".into(),
            category_hi: "बिजली".into(),
            name_en: "Jaipur Vidyut Vitran Nigam Ltd. bill".into(),
            name_hi: "जयपुर विद्युत वितरण निगम लि. बिल".into(),
            state_rate: Paise::new(1000),
            charge: Paise::new(0),
            commission: Paise::new(500),
            consumer_label_en: "K No.".into(),
            consumer_label_hi: "के. नं.".into(),
            consumer_pattern: "[0-9]{12}".into(),
            bill_fetch_required: true,
            offline_allowed: true,
            active: true,
        }
    }

    pub fn catalogue() -> Catalogue {
        Catalogue {
            version: 1,
            sample: true,
            departments: vec![Department {
                code: "ELEC".into(),
                name_en: "Energy".into(),
                name_hi: "ऊर्जा विभाग".into(),
                cheque_payee: ChequePayee::AoCcc,
            }],
            services: vec![electricity()],
        }
    }

    #[test]
    fn consumer_numbers_follow_the_service_pattern() {
        let s = electricity();
        assert_eq!(
            s.check_consumer_no(" 1234 5678 9012 ").unwrap(),
            "123456789012"
        );
        // An alternation anchors as a whole.
        let mut alt = electricity();
        alt.consumer_pattern = "[0-9]{4}|[0-9]{6}".into();
        assert!(alt.check_consumer_no("123456").is_ok());
        assert!(alt.check_consumer_no("1234X").is_err());
        assert!(alt.check_consumer_no("X123456").is_err());
        for bad in [
            "",
            "12345678901",
            "1234567890123",
            "12345678901A",
            "१२३४५६७८९०१२",
        ] {
            let e = s.check_consumer_no(bad).unwrap_err();
            assert_eq!(crate::ErrorCode::code(&e), "consumer_no.invalid", "{bad}");
        }
    }

    #[test]
    fn never_above_the_state_rate() {
        let s = electricity();
        assert!(s.check_charge(Paise::new(1000)).is_ok());
        let e = s.check_charge(Paise::new(1001)).unwrap_err();
        assert_eq!(crate::ErrorCode::code(&e), "charge.above_state_rate");
        assert!(s.check_charge(Paise::new(-1)).is_err());
    }

    #[test]
    fn catalogue_validation() {
        assert!(catalogue().validate().is_ok());
        let mut c = catalogue();
        c.services[0].name_hi = "JVVNL".into();
        assert!(c.validate().is_err(), "Hindi name must be Devanagari");
        let mut c = catalogue();
        c.services[0].charge = Paise::new(2000);
        assert!(c.validate().is_err());
        let mut c = catalogue();
        c.services.push(electricity());
        assert!(c.validate().is_err(), "repeated code");
        let mut c = catalogue();
        c.services[0].department = "NOPE".into();
        assert!(c.validate().is_err());
        let mut c = catalogue();
        c.services[0].consumer_pattern = "[0-9".into();
        assert!(c.validate().is_err());
    }

    #[test]
    fn search_in_hindi_and_english() {
        let c = catalogue();
        assert_eq!(c.search("jaipur").count(), 1);
        assert_eq!(c.search("विद्युत").count(), 1);
        assert_eq!(c.search("बिजली").count(), 1);
        assert_eq!(c.search("water").count(), 0);
    }

    #[test]
    fn payee_names() {
        assert_eq!(ChequePayee::AoCcc.payee_name("Jaipur").unwrap(), "AO (CCC)");
        assert_eq!(
            ChequePayee::DistrictEGovSociety
                .payee_name("Ajmer")
                .unwrap(),
            "District e-Governance Society, Ajmer"
        );
        assert_eq!(ChequePayee::None.payee_name("Ajmer"), None);
    }
    #[test]
    fn the_sample_catalogue_parses_and_validates() {
        let c = Catalogue::from_toml(include_str!("../../../data/catalogue.sample.toml"))
            .expect("data/catalogue.sample.toml");
        assert!(c.sample, "the sample file must say it is sample data");
        for code in ["JVVNL-BILL", "AVVNL-BILL", "JDVVNL-BILL"] {
            let s = c.service(code).expect(code);
            assert_eq!(
                s.check_consumer_no("2101 2345 6789").unwrap(),
                "210123456789"
            );
            let d = c.department(&s.department).unwrap();
            assert_eq!(d.cheque_payee.payee_name("Jaipur").unwrap(), "AO (CCC)");
        }
        let water = c.department("PHED").unwrap();
        assert_eq!(
            water.cheque_payee.payee_name("Ajmer").unwrap(),
            "District e-Governance Society, Ajmer"
        );
        let recharge = c.service("MOBILE-RECHARGE").unwrap();
        assert!(
            !recharge.offline_allowed,
            "real-time services are online only"
        );
        assert!(c.services.iter().all(|s| s.charge <= s.state_rate));
        assert!(c.search("बिजली").count() >= 3);
        assert!(c.search("postpaid").count() >= 3);
    }
}
