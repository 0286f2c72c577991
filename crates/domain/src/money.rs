//! Money is integer paise. No floating point anywhere near it.

use crate::DomainError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount in paise (1 rupee = 100 paise).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Paise(i64);

impl Paise {
    pub const ZERO: Paise = Paise(0);
    /// The largest amount operator input may name: ₹1,00,00,00,000 (100 crore).
    /// Far above any bill, far below `i64` overflow when summed.
    pub const MAX_INPUT: Paise = Paise(100 * 1_00_00_000 * 100);

    pub const fn new(paise: i64) -> Self {
        Paise(paise)
    }
    pub fn from_rupees(rupees: i64) -> Option<Self> {
        rupees.checked_mul(100).map(Paise)
    }
    pub const fn as_i64(self) -> i64 {
        self.0
    }
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }
    pub fn checked_add(self, o: Paise) -> Option<Paise> {
        self.0.checked_add(o.0).map(Paise)
    }
    pub fn checked_sub(self, o: Paise) -> Option<Paise> {
        self.0.checked_sub(o.0).map(Paise)
    }
    pub fn checked_mul(self, n: i64) -> Option<Paise> {
        self.0.checked_mul(n).map(Paise)
    }
    pub fn checked_neg(self) -> Option<Paise> {
        self.0.checked_neg().map(Paise)
    }
    /// Adds, mapping overflow to the domain error.
    pub fn try_add(self, o: Paise) -> Result<Paise, DomainError> {
        self.checked_add(o).ok_or(DomainError::MoneyOverflow)
    }
    pub fn try_sub(self, o: Paise) -> Result<Paise, DomainError> {
        self.checked_sub(o).ok_or(DomainError::MoneyOverflow)
    }
    /// Sums, failing on overflow instead of wrapping.
    pub fn try_sum<I: IntoIterator<Item = Paise>>(it: I) -> Result<Paise, DomainError> {
        it.into_iter().try_fold(Paise::ZERO, |a, b| a.try_add(b))
    }

    /// Parses what an operator types: `1234.5`, `1,234.50`, `₹ 99`, `Rs. 10`.
    /// Rejects negatives, more than two decimals, amounts above
    /// [`Paise::MAX_INPUT`] and anything else.
    pub fn parse(input: &str) -> Result<Paise, DomainError> {
        let mut s = input.trim();
        if s.is_empty() {
            return Err(DomainError::MoneyEmpty);
        }
        if s.starts_with('-') || s.starts_with('\u{2212}') {
            return Err(DomainError::MoneyNegative);
        }
        for prefix in ["₹", "Rs.", "Rs", "rs.", "rs", "RS.", "RS", "INR", "inr"] {
            if let Some(rest) = s.strip_prefix(prefix) {
                s = rest.trim_start();
                break;
            }
        }
        if s.starts_with('-') || s.starts_with('\u{2212}') {
            return Err(DomainError::MoneyNegative);
        }
        let invalid = || DomainError::MoneyInvalid(input.to_string());
        if s.is_empty() {
            return Err(invalid());
        }
        let (int_part, frac_part) = match s.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (s, None),
        };
        // Commas only between digits, never leading, trailing or doubled.
        if int_part.starts_with(',') || int_part.ends_with(',') || int_part.contains(",,") {
            return Err(invalid());
        }
        let digits: String = int_part.chars().filter(|&c| c != ',').collect();
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid());
        }
        if int_part.contains(',') && !thousands_grouped(int_part) {
            return Err(DomainError::MoneyGroupingInvalid(input.to_string()));
        }
        let frac = frac_part.unwrap_or("");
        if !frac.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid());
        }
        if digits.is_empty() && frac.is_empty() {
            return Err(invalid());
        }
        if frac.len() > 2 {
            return Err(DomainError::MoneyTooManyDecimals);
        }
        let digits = digits.trim_start_matches('0');
        if digits.len() > 12 {
            return Err(DomainError::MoneyOverflow);
        }
        let rupees: i64 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| invalid())?
        };
        let mut paise: i64 = 0;
        for (i, c) in frac.chars().enumerate() {
            let d = c.to_digit(10).expect("checked digit") as i64;
            paise += d * if i == 0 { 10 } else { 1 };
        }
        let total = rupees
            .checked_mul(100)
            .and_then(|r| r.checked_add(paise))
            .ok_or(DomainError::MoneyOverflow)?;
        if total > Self::MAX_INPUT.0 {
            return Err(DomainError::MoneyOverflow);
        }
        Ok(Paise(total))
    }

    /// `1,23,456.78` (Indian grouping, no symbol).
    pub fn format_plain(self) -> String {
        let neg = self.0 < 0;
        let abs = self.0.unsigned_abs();
        let rupees = abs / 100;
        let paise = abs % 100;
        let s = group_indian(rupees);
        format!("{}{}.{:02}", if neg { "-" } else { "" }, s, paise)
    }

    /// `Rs.1,23,456.78`: for printers without a rupee sign.
    pub fn format_ascii(self) -> String {
        let p = self.format_plain();
        match p.strip_prefix('-') {
            Some(rest) => format!("-Rs.{rest}"),
            None => format!("Rs.{p}"),
        }
    }

    /// Amount in English words, Indian numbering:
    /// `Rupees One Lakh Twenty Three Thousand Four Hundred Fifty Six and Seventy Eight Paise Only`.
    pub fn in_words_en(self) -> String {
        let abs = self.0.unsigned_abs();
        let (rupees, paise) = (abs / 100, abs % 100);
        let mut out = String::new();
        if self.0 < 0 {
            out.push_str("Minus ");
        }
        out.push_str("Rupees ");
        out.push_str(&words_en(rupees));
        if paise > 0 {
            out.push_str(" and ");
            out.push_str(&words_en(paise));
            out.push_str(" Paise");
        }
        out.push_str(" Only");
        out
    }

    /// Amount in Hindi words: `एक लाख तेईस हज़ार चार सौ छप्पन रुपये और अठहत्तर पैसे मात्र`.
    pub fn in_words_hi(self) -> String {
        let abs = self.0.unsigned_abs();
        let (rupees, paise) = (abs / 100, abs % 100);
        let mut out = String::new();
        if self.0 < 0 {
            out.push_str("ऋण ");
        }
        out.push_str(&words_hi(rupees));
        out.push_str(" रुपये");
        if paise > 0 {
            out.push_str(" और ");
            out.push_str(&words_hi(paise));
            out.push_str(" पैसे");
        }
        out.push_str(" मात्र");
        out
    }
}

impl fmt::Display for Paise {
    /// `₹1,23,456.78`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.format_plain();
        match p.strip_prefix('-') {
            Some(rest) => write!(f, "-₹{rest}"),
            None => write!(f, "₹{p}"),
        }
    }
}

impl std::str::FromStr for Paise {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Paise::parse(s)
    }
}

fn group_indian(n: u64) -> String {
    let s = n.to_string();
    if s.len() <= 3 {
        return s;
    }
    let (head, last3) = s.split_at(s.len() - 3);
    let mut groups = Vec::new();
    let hb = head.as_bytes();
    let mut end = hb.len();
    while end > 0 {
        let start = end.saturating_sub(2);
        groups.push(&head[start..end]);
        end = start;
    }
    groups.reverse();
    format!("{},{}", groups.join(","), last3)
}

const ONES_EN: [&str; 20] = [
    "Zero",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
];
const TENS_EN: [&str; 10] = [
    "", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety",
];

fn below_100_en(n: u64) -> String {
    if n < 20 {
        ONES_EN[n as usize].to_string()
    } else if n.is_multiple_of(10) {
        TENS_EN[(n / 10) as usize].to_string()
    } else {
        format!(
            "{} {}",
            TENS_EN[(n / 10) as usize],
            ONES_EN[(n % 10) as usize]
        )
    }
}

/// Indian numbering: crore (10^7), lakh (10^5), thousand, hundred; the crore
/// count itself is spelled the same way, so any u64 works.
fn words_en(n: u64) -> String {
    if n == 0 {
        return "Zero".into();
    }
    let mut parts = Vec::new();
    let crore = n / 1_00_00_000;
    let mut rest = n % 1_00_00_000;
    if crore > 0 {
        parts.push(format!("{} Crore", words_en(crore)));
    }
    let lakh = rest / 1_00_000;
    rest %= 1_00_000;
    if lakh > 0 {
        parts.push(format!("{} Lakh", below_100_en(lakh)));
    }
    let thousand = rest / 1000;
    rest %= 1000;
    if thousand > 0 {
        parts.push(format!("{} Thousand", below_100_en(thousand)));
    }
    let hundred = rest / 100;
    rest %= 100;
    if hundred > 0 {
        parts.push(format!("{} Hundred", ONES_EN[hundred as usize]));
    }
    if rest > 0 {
        parts.push(below_100_en(rest));
    }
    parts.join(" ")
}

/// Hindi has a distinct word for every number 0-99.
const HI_0_99: [&str; 100] = [
    "शून्य",
    "एक",
    "दो",
    "तीन",
    "चार",
    "पाँच",
    "छह",
    "सात",
    "आठ",
    "नौ",
    "दस",
    "ग्यारह",
    "बारह",
    "तेरह",
    "चौदह",
    "पंद्रह",
    "सोलह",
    "सत्रह",
    "अठारह",
    "उन्नीस",
    "बीस",
    "इक्कीस",
    "बाईस",
    "तेईस",
    "चौबीस",
    "पच्चीस",
    "छब्बीस",
    "सत्ताईस",
    "अट्ठाईस",
    "उनतीस",
    "तीस",
    "इकतीस",
    "बत्तीस",
    "तैंतीस",
    "चौंतीस",
    "पैंतीस",
    "छत्तीस",
    "सैंतीस",
    "अड़तीस",
    "उनतालीस",
    "चालीस",
    "इकतालीस",
    "बयालीस",
    "तैंतालीस",
    "चवालीस",
    "पैंतालीस",
    "छियालीस",
    "सैंतालीस",
    "अड़तालीस",
    "उनचास",
    "पचास",
    "इक्यावन",
    "बावन",
    "तिरेपन",
    "चौवन",
    "पचपन",
    "छप्पन",
    "सत्तावन",
    "अट्ठावन",
    "उनसठ",
    "साठ",
    "इकसठ",
    "बासठ",
    "तिरेसठ",
    "चौंसठ",
    "पैंसठ",
    "छियासठ",
    "सड़सठ",
    "अड़सठ",
    "उनहत्तर",
    "सत्तर",
    "इकहत्तर",
    "बहत्तर",
    "तिहत्तर",
    "चौहत्तर",
    "पचहत्तर",
    "छिहत्तर",
    "सतहत्तर",
    "अठहत्तर",
    "उनासी",
    "अस्सी",
    "इक्यासी",
    "बयासी",
    "तिरासी",
    "चौरासी",
    "पचासी",
    "छियासी",
    "सत्तासी",
    "अट्ठासी",
    "नवासी",
    "नब्बे",
    "इक्यानवे",
    "बानवे",
    "तिरानवे",
    "चौरानवे",
    "पचानवे",
    "छियानवे",
    "सत्तानवे",
    "अट्ठानवे",
    "निन्यानवे",
];

fn words_hi(n: u64) -> String {
    if n == 0 {
        return HI_0_99[0].into();
    }
    let mut parts = Vec::new();
    let crore = n / 1_00_00_000;
    let mut rest = n % 1_00_00_000;
    if crore > 0 {
        parts.push(format!("{} करोड़", words_hi(crore)));
    }
    let lakh = rest / 1_00_000;
    rest %= 1_00_000;
    if lakh > 0 {
        parts.push(format!("{} लाख", HI_0_99[lakh as usize]));
    }
    let thousand = rest / 1000;
    rest %= 1000;
    if thousand > 0 {
        parts.push(format!("{} हज़ार", HI_0_99[thousand as usize]));
    }
    let hundred = rest / 100;
    rest %= 100;
    if hundred > 0 {
        parts.push(format!("{} सौ", HI_0_99[hundred as usize]));
    }
    if rest > 0 {
        parts.push(HI_0_99[rest as usize].to_string());
    }
    parts.join(" ")
}

/// Commas in the rupees part only as thousands separators: Western
/// (`1,234,567`: groups of three) or Indian (`12,34,567`: the last group
/// of three, the ones before it of two). Anything else, e.g. the decimal
/// comma in `1,50`, is refused rather than read as ₹150.
fn thousands_grouped(int_part: &str) -> bool {
    let groups: Vec<usize> = int_part.split(',').map(str::len).collect();
    let (first, rest) = groups.split_first().expect("split yields one part");
    let Some((last, middle)) = rest.split_last() else {
        return true;
    };
    if *last != 3 || *first == 0 {
        return false;
    }
    let western = *first <= 3 && middle.iter().all(|&g| g == 3);
    let indian = *first <= 2 && middle.iter().all(|&g| g == 2);
    western || indian
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> Result<i64, String> {
        use crate::ErrorCode;
        Paise::parse(s)
            .map(Paise::as_i64)
            .map_err(|e| e.code().to_string())
    }

    #[test]
    fn parses_operator_forms() {
        assert_eq!(p("1234.5"), Ok(123450));
        assert_eq!(p("1,234.50"), Ok(123450));
        assert_eq!(p("₹ 99"), Ok(9900));
        assert_eq!(p("₹99.05"), Ok(9905));
        assert_eq!(p("Rs. 10"), Ok(1000));
        assert_eq!(p("  1,23,456.78 "), Ok(12345678));
        assert_eq!(p("0.5"), Ok(50));
        assert_eq!(p(".75"), Ok(75));
        assert_eq!(p("12."), Ok(1200));
        assert_eq!(p("0"), Ok(0));
        assert_eq!(p("007"), Ok(700));
    }

    #[test]
    fn rejects_bad_input_with_specific_codes() {
        assert_eq!(p(""), Err("money.empty".to_string()));
        assert_eq!(p("   "), Err("money.empty".to_string()));
        assert_eq!(p("-5"), Err("money.negative".to_string()));
        assert_eq!(p("₹ -5"), Err("money.negative".to_string()));
        assert_eq!(p("−5"), Err("money.negative".to_string()));
        assert_eq!(p("1.234"), Err("money.too_many_decimals".to_string()));
        assert_eq!(p("0.001"), Err("money.too_many_decimals".to_string()));
        assert_eq!(p("99999999999999999999"), Err("money.overflow".to_string()));
        assert_eq!(p("1000000001"), Err("money.overflow".to_string()));
        assert_eq!(p("abc"), Err("money.invalid".to_string()));
        assert_eq!(p("12a"), Err("money.invalid".to_string()));
        assert_eq!(p("1.2.3"), Err("money.invalid".to_string()));
        assert_eq!(p(",100"), Err("money.invalid".to_string()));
        assert_eq!(p("100,"), Err("money.invalid".to_string()));
        assert_eq!(p("1,,00"), Err("money.invalid".to_string()));
        assert_eq!(p("₹"), Err("money.invalid".to_string()));
        assert_eq!(p("."), Err("money.invalid".to_string()));
        assert_eq!(p("1e5"), Err("money.invalid".to_string()));
        assert_eq!(p("+5"), Err("money.invalid".to_string()));
        assert_eq!(p("१००"), Err("money.invalid".to_string()));
        assert_eq!(p("NaN"), Err("money.invalid".to_string()));
    }

    #[test]
    fn commas_only_group_thousands_indian_or_western() {
        // A decimal comma (a European habit) would multiply by 100.
        assert_eq!(p("1,50"), Err("money.grouping_invalid".to_string()));
        assert_eq!(p("1,5"), Err("money.grouping_invalid".to_string()));
        assert_eq!(p("12,5.00"), Err("money.grouping_invalid".to_string()));
        assert_eq!(p("1,2345"), Err("money.grouping_invalid".to_string()));
        assert_eq!(p("123,45,678"), Err("money.grouping_invalid".to_string()));
        assert_eq!(p("1234,567"), Err("money.grouping_invalid".to_string()));
        assert_eq!(p("1,234,56"), Err("money.grouping_invalid".to_string()));
        assert_eq!(p("1,23,4567"), Err("money.grouping_invalid".to_string()));
        // Western thousands, Indian lakhs and crores.
        assert_eq!(p("1,234"), Ok(123_400));
        assert_eq!(p("12,345.60"), Ok(1_234_560));
        assert_eq!(p("123,456"), Ok(12_345_600));
        assert_eq!(p("1,234,567"), Ok(123_456_700));
        assert_eq!(p("1,23,456"), Ok(12_345_600));
        assert_eq!(p("12,34,567.89"), Ok(123_456_789));
        assert_eq!(p("1,00,00,000"), Ok(1_000_000_000));
        assert_eq!(p("₹ 1,50,000"), Ok(15_000_000));
    }

    #[test]
    fn max_input_is_accepted_and_one_paisa_more_is_not() {
        assert_eq!(p("1000000000"), Ok(Paise::MAX_INPUT.as_i64()));
        assert_eq!(p("1000000000.01"), Err("money.overflow".to_string()));
    }

    #[test]
    fn formats_with_indian_grouping() {
        assert_eq!(Paise::new(12345678).to_string(), "₹1,23,456.78");
        assert_eq!(Paise::new(0).to_string(), "₹0.00");
        assert_eq!(Paise::new(5).to_string(), "₹0.05");
        assert_eq!(Paise::new(99900).to_string(), "₹999.00");
        assert_eq!(Paise::new(100000).to_string(), "₹1,000.00");
        assert_eq!(Paise::new(1000000000).to_string(), "₹1,00,00,000.00");
        assert_eq!(Paise::new(-150).to_string(), "-₹1.50");
        assert_eq!(Paise::new(12345678).format_ascii(), "Rs.1,23,456.78");
        assert_eq!(
            Paise::new(i64::MIN).format_plain(),
            "-92,23,37,20,36,85,47,758.08"
        );
    }

    #[test]
    fn words_in_english() {
        assert_eq!(Paise::new(0).in_words_en(), "Rupees Zero Only");
        assert_eq!(Paise::new(100).in_words_en(), "Rupees One Only");
        assert_eq!(
            Paise::new(12345678).in_words_en(),
            "Rupees One Lakh Twenty Three Thousand Four Hundred Fifty Six and Seventy Eight Paise Only"
        );
        assert_eq!(
            Paise::new(1_00_00_000_00).in_words_en(),
            "Rupees One Crore Only"
        );
        assert_eq!(
            Paise::new(12_34_56_789_05).in_words_en(),
            "Rupees Twelve Crore Thirty Four Lakh Fifty Six Thousand Seven Hundred Eighty Nine and Five Paise Only"
        );
        assert_eq!(
            Paise::new(50).in_words_en(),
            "Rupees Zero and Fifty Paise Only"
        );
        assert_eq!(
            Paise::new(1_00_000 * 1_00_00_000 * 100).in_words_en(),
            "Rupees One Lakh Crore Only"
        );
    }

    #[test]
    fn words_in_hindi() {
        assert_eq!(Paise::new(0).in_words_hi(), "शून्य रुपये मात्र");
        assert_eq!(
            Paise::new(12345678).in_words_hi(),
            "एक लाख तेईस हज़ार चार सौ छप्पन रुपये और अठहत्तर पैसे मात्र"
        );
        assert_eq!(Paise::new(1_00_00_000_00).in_words_hi(), "एक करोड़ रुपये मात्र");
        assert_eq!(
            Paise::new(99_99_999_99).in_words_hi(),
            "निन्यानवे लाख निन्यानवे हज़ार नौ सौ निन्यानवे रुपये और निन्यानवे पैसे मात्र"
        );
        assert_eq!(Paise::new(150000).in_words_hi(), "एक हज़ार पाँच सौ रुपये मात्र");
    }

    #[test]
    fn checked_arithmetic_never_wraps() {
        assert_eq!(Paise::new(i64::MAX).checked_add(Paise::new(1)), None);
        assert_eq!(Paise::new(i64::MIN).checked_sub(Paise::new(1)), None);
        assert!(Paise::try_sum([Paise::new(i64::MAX), Paise::new(1)]).is_err());
        assert_eq!(
            Paise::try_sum([Paise::new(1), Paise::new(2)]),
            Ok(Paise::new(3))
        );
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(v in 0i64..=Paise::MAX_INPUT.as_i64()) {
            let x = Paise::new(v);
            prop_assert_eq!(Paise::parse(&x.format_plain()), Ok(x));
            prop_assert_eq!(Paise::parse(&x.to_string()), Ok(x));
        }

        #[test]
        fn plain_decimal_strings_parse_exactly(r in 0i64..1_000_000_000, f in 0i64..100) {
            prop_assert_eq!(Paise::parse(&format!("{r}.{f:02}")), Ok(Paise::new(r * 100 + f)));
        }

        #[test]
        fn western_grouping_parses_exactly(r in 0i64..1_000_000_000, f in 0i64..100) {
            let plain = r.to_string();
            let mut grouped = String::new();
            for (i, c) in plain.chars().enumerate() {
                if i > 0 && (plain.len() - i) % 3 == 0 {
                    grouped.push(',');
                }
                grouped.push(c);
            }
            prop_assert_eq!(Paise::parse(&format!("{grouped}.{f:02}")), Ok(Paise::new(r * 100 + f)));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,24}") {
            let _ = Paise::parse(&s);
        }

        #[test]
        fn words_are_never_empty_and_end_in_only(v in proptest::num::i64::ANY) {
            let x = Paise::new(v);
            prop_assert!(x.in_words_en().ends_with(" Only"));
            prop_assert!(x.in_words_hi().ends_with(" मात्र"));
            prop_assert!(!x.in_words_en().contains("  "));
        }

        #[test]
        fn grouping_keeps_the_digits(v in 0i64..i64::MAX) {
            let s = Paise::new(v).format_plain();
            let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
            let vs = v.to_string();
            prop_assert_eq!(digits.trim_start_matches('0'), vs.trim_start_matches('0'));
        }
    }
}
