//! The cart: several bills on one receipt.

use crate::{ChequeDetails, DomainError, Paise, Service};
use serde::{Deserialize, Serialize};

/// How many bills one receipt may carry.
pub const MAX_CART_LINES: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub service_code: String,
    pub department: String,
    pub consumer_no: String,
    pub consumer_name: Option<String>,
    /// The department's bill reference, when the bill was fetched.
    pub bill_ref: Option<String>,
    pub bill_amount: Paise,
    /// Charged to the citizen on top of the bill (≤ the state rate).
    pub charge: Paise,
    /// Earned by the kiosk.
    pub commission: Paise,
}

impl CartLine {
    /// The citizen pays this for the line.
    pub fn total(&self) -> Result<Paise, DomainError> {
        self.bill_amount.try_add(self.charge)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cart {
    pub lines: Vec<CartLine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartTotals {
    pub lines: usize,
    pub bills: Paise,
    pub charges: Paise,
    /// What the citizen pays and the wallet is debited.
    pub total: Paise,
    pub commission: Paise,
}

impl Cart {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a bill; returns its index. The same bill (service and consumer
    /// number) cannot be in one cart twice.
    pub fn add(
        &mut self,
        service: &Service,
        consumer_no: &str,
        consumer_name: Option<&str>,
        bill_ref: Option<&str>,
        bill_amount: Paise,
    ) -> Result<usize, DomainError> {
        if self.lines.len() >= MAX_CART_LINES {
            return Err(DomainError::CartFull(MAX_CART_LINES));
        }
        let consumer_no = service.check_consumer_no(consumer_no)?;
        if bill_amount.is_negative() {
            return Err(DomainError::MoneyNegative);
        }
        if !bill_amount.is_positive() {
            return Err(DomainError::MoneyZero);
        }
        if bill_amount > Paise::MAX_INPUT {
            return Err(DomainError::MoneyOverflow);
        }
        service.check_charge(service.charge)?;
        if self
            .lines
            .iter()
            .any(|l| l.service_code == service.code && l.consumer_no == consumer_no)
        {
            return Err(DomainError::CartDuplicateLine);
        }
        let consumer_name = consumer_name
            .map(|n| crate::error::clean_text("consumer_name", n, 100))
            .transpose()?
            .filter(|n| !n.is_empty());
        let bill_ref = bill_ref
            .map(|n| crate::error::clean_text("bill_ref", n, 64))
            .transpose()?
            .filter(|n| !n.is_empty());
        self.lines.push(CartLine {
            service_code: service.code.clone(),
            department: service.department.clone(),
            consumer_no,
            consumer_name,
            bill_ref,
            bill_amount,
            charge: service.charge,
            commission: service.commission,
        });
        Ok(self.lines.len() - 1)
    }

    pub fn remove(&mut self, index: usize) -> Result<CartLine, DomainError> {
        if index >= self.lines.len() {
            return Err(DomainError::CartNoSuchLine(index));
        }
        Ok(self.lines.remove(index))
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn totals(&self) -> Result<CartTotals, DomainError> {
        Ok(CartTotals {
            lines: self.lines.len(),
            bills: Paise::try_sum(self.lines.iter().map(|l| l.bill_amount))?,
            charges: Paise::try_sum(self.lines.iter().map(|l| l.charge))?,
            total: Paise::try_sum(
                self.lines
                    .iter()
                    .map(|l| l.total())
                    .collect::<Result<Vec<_>, _>>()?,
            )?,
            commission: Paise::try_sum(self.lines.iter().map(|l| l.commission))?,
        })
    }
}

/// How the citizen paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMode {
    /// Cash at the counter; the kiosk's wallet is debited.
    Wallet,
    /// A departmental cheque; a cart paid by cheque holds one department's bills.
    Cheque(ChequeDetails),
}

impl PaymentMode {
    pub fn code(&self) -> &'static str {
        match self {
            PaymentMode::Wallet => "wallet",
            PaymentMode::Cheque(_) => "cheque",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use crate::catalogue::tests::electricity;
    use proptest::prelude::*;

    #[test]
    fn several_bills_on_one_receipt() {
        let s = electricity();
        let mut c = Cart::new();
        c.add(
            &s,
            "123456789012",
            Some("राम लाल"),
            Some("B-1"),
            Paise::new(150000),
        )
        .unwrap();
        c.add(&s, "123456789013", None, None, Paise::new(49950))
            .unwrap();
        let t = c.totals().unwrap();
        assert_eq!(t.lines, 2);
        assert_eq!(t.bills, Paise::new(199950));
        assert_eq!(t.charges, Paise::new(0));
        assert_eq!(t.total, Paise::new(199950));
        assert_eq!(t.commission, Paise::new(1000));
        assert_eq!(c.lines[0].consumer_name.as_deref(), Some("राम लाल"));
        c.remove(0).unwrap();
        assert_eq!(c.totals().unwrap().total, Paise::new(49950));
        assert_eq!(c.remove(5).unwrap_err().code(), "cart.no_such_line");
    }

    #[test]
    fn charge_is_added_to_the_bill() {
        let mut s = electricity();
        s.charge = Paise::new(1000);
        let mut c = Cart::new();
        c.add(&s, "123456789012", None, None, Paise::new(10000))
            .unwrap();
        let t = c.totals().unwrap();
        assert_eq!(
            (t.bills, t.charges, t.total),
            (Paise::new(10000), Paise::new(1000), Paise::new(11000))
        );
        s.charge = Paise::new(1001);
        assert_eq!(
            c.add(&s, "123456789013", None, None, Paise::new(1))
                .unwrap_err()
                .code(),
            "charge.above_state_rate"
        );
    }

    #[test]
    fn bad_lines_are_refused() {
        let s = electricity();
        let mut c = Cart::new();
        c.add(&s, "123456789012", None, None, Paise::new(100))
            .unwrap();
        let e = |r: Result<usize, DomainError>| r.unwrap_err().code().to_string();
        assert_eq!(
            e(c.add(&s, "1234 5678 9012", None, None, Paise::new(100))),
            "cart.duplicate_line"
        );
        assert_eq!(
            e(c.add(&s, "12", None, None, Paise::new(100))),
            "consumer_no.invalid"
        );
        assert_eq!(
            e(c.add(&s, "123456789099", None, None, Paise::new(0))),
            "money.zero"
        );
        assert_eq!(
            e(c.add(&s, "123456789099", None, None, Paise::new(-5))),
            "money.negative"
        );
        assert_eq!(
            e(c.add(&s, "123456789099", None, None, Paise::new(i64::MAX))),
            "money.overflow"
        );
        assert_eq!(
            e(c.add(&s, "123456789099", Some("a\u{0}b"), None, Paise::new(5))),
            "text.invalid"
        );
        assert_eq!(c.lines.len(), 1, "nothing was added by a refused line");
        for i in 0..(MAX_CART_LINES - 1) {
            c.add(&s, &format!("{:012}", 200 + i), None, None, Paise::new(1))
                .unwrap();
        }
        assert_eq!(
            e(c.add(&s, "999999999999", None, None, Paise::new(1))),
            "cart.full"
        );
    }

    proptest! {
        #[test]
        fn totals_are_the_sum_of_lines(amounts in proptest::collection::vec(1i64..=Paise::MAX_INPUT.as_i64(), 1..MAX_CART_LINES)) {
            let s = electricity();
            let mut c = Cart::new();
            for (i, a) in amounts.iter().enumerate() {
                c.add(&s, &format!("{:012}", i), None, None, Paise::new(*a)).unwrap();
            }
            let t = c.totals().unwrap();
            prop_assert_eq!(t.total.as_i64(), amounts.iter().sum::<i64>());
            prop_assert_eq!(t.commission.as_i64(), 500 * amounts.len() as i64);
        }
    }
}
