//! Measures bytes per entry of a push body in several encodings at batch
//! sizes 1, 50 and 200 (the table in the crate docs comes from here), and
//! holds the chosen encoding to its budget.

use domain::{CartLine, Contact, Mobile, Paise, PaymentMode};
use protocol::{EntryKind, PaymentPayload, PushRequest, WireEntry, encode_body};
use std::io::Write;
use uuid::Uuid;

fn payment(i: u64) -> PaymentPayload {
    PaymentPayload {
        receipt_no: format!("K1001-001-{:07}", 4200 + i),
        receipt_id: uuid_v7(1000 + i),
        kiosk_code: "K1001".into(),
        operator: "op1".into(),
        contact: Contact {
            mobile: Some(Mobile::parse(&format!("98765{:05}", 43210 + i * 7919 % 50000)).unwrap()),
            email: None,
        },
        mode: PaymentMode::Wallet,
        lines: vec![CartLine {
            service_code: "JVVNL".into(),
            department: "ELEC".into(),
            consumer_no: format!("{:012}", 210_000_000_000u64 + i * 104_729),
            consumer_name: Some("Ram Lal".into()),
            bill_ref: Some(format!("B{:08}", 1_000_000 + i * 13)),
            bill_amount: Paise::new(100_000 + (i as i64 * 3_737) % 500_000),
            charge: Paise::ZERO,
            commission: Paise::new(500),
        }],
        total: Paise::new(100_000 + (i as i64 * 3_737) % 500_000),
        commission: Paise::new(500),
        duplicate_confirmed: false,
    }
}

/// UUIDv7-like: a millisecond clock part and random-looking bits, as the
/// kiosk makes them (the random half does not compress).
fn uuid_v7(n: u64) -> Uuid {
    let ms = 1_763_700_000_000u64 + n * 37_000;
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xDEAD_BEEF;
    let mut rnd = [0u8; 10];
    for b in rnd.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    bytes[6..].copy_from_slice(&rnd);
    bytes[6] = 0x70 | (bytes[6] & 0x0F);
    bytes[8] = 0x80 | (bytes[8] & 0x3F);
    Uuid::from_bytes(bytes)
}

fn push(n: usize) -> PushRequest {
    PushRequest {
        version: protocol::PROTOCOL_VERSION,
        first_seq: 4200,
        last_hash: [0xAB; 32],
        entries: (0..n as u64)
            .map(|i| WireEntry {
                format: 1,
                id: uuid_v7(i),
                kind: EntryKind::Payment,
                device_time_ms: 1_763_700_000_000 + i as i64 * 37_000,
                payload: payment(i).encode(),
            })
            .collect(),
        clock_offset_ms: Some(-1_200),
    }
}

/// The same batch as a JSON API would carry it.
fn json(n: usize) -> Vec<u8> {
    let entries: Vec<_> = (0..n as u64)
        .map(|i| {
            serde_json::json!({
                "seq": 4200 + i, "id": uuid_v7(i), "kind": "payment",
                "device_time_ms": 1_763_700_000_000u64 + i * 37_000,
                "payload": payment(i),
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "version": 1, "device_id": uuid_v7(99_999), "last_hash": hex(&[0xAB; 32]), "entries": entries
    }))
    .unwrap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn zstd3(b: &[u8]) -> Vec<u8> {
    zstd::bulk::compress(b, 3).unwrap()
}

#[test]
fn bytes_per_entry_table() {
    let sizes = [1usize, 50, 200];
    let mut rows: Vec<(&str, Vec<f64>)> = Vec::new();
    let per = |f: &dyn Fn(usize) -> usize| sizes.iter().map(|&n| f(n) as f64 / n as f64).collect();
    rows.push(("JSON", per(&|n| json(n).len())));
    rows.push(("JSON + gzip", per(&|n| gzip(&json(n)).len())));
    rows.push(("JSON + zstd", per(&|n| zstd3(&json(n)).len())));
    rows.push((
        "postcard",
        per(&|n| postcard::to_stdvec(&push(n)).unwrap().len()),
    ));
    rows.push(("postcard + zstd", per(&|n| encode_body(&push(n)).len())));
    println!("| encoding          | batch 1 | batch 50 | batch 200 |");
    println!("|-------------------|--------:|---------:|----------:|");
    for (name, v) in &rows {
        println!(
            "| {name:<17} | {:>7.0} | {:>8.0} | {:>9.0} |",
            v[0], v[1], v[2]
        );
    }
    let chosen = &rows[4].1;
    // The chosen encoding is the smallest at batch 50 and 200...
    for (name, v) in &rows[..4] {
        assert!(
            chosen[1] < v[1] && chosen[2] < v[2],
            "{name} beats postcard+zstd"
        );
    }
    // ...and leaves room in the 100-byte budget for the answer and headers.
    assert!(
        chosen[1] <= 70.0,
        "postcard+zstd at 50: {} B/entry",
        chosen[1]
    );
}
