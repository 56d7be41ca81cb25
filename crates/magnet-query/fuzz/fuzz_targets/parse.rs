//! `cargo fuzz run parse` (from `crates/magnet-query`): the parser must never panic, and
//! whatever it accepts must round-trip through the canonical text and the JSON form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use territoria_magnet_query::{Query, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(query) = parse(text) {
        let canonical = query.to_string();
        assert_eq!(parse(&canonical).as_ref(), Ok(&query), "text: {canonical}");
        assert_eq!(Query::from_json(&query.to_json()).as_ref(), Ok(&query));
    }
    let _ = Query::from_json(text);
});
