//! Facts the two crates must agree on, checked rather than kept in step by
//! hand: the macros cannot import the runtime, so this test compiles the
//! macros' own file of shared facts next to the runtime's.

#[path = "../health-macros/src/limits.rs"]
mod limits;

use health_core::group;
use health_core::report::{RESERVED_NAMES, Selection, validate_component_name, validate_group_name};

#[test]
fn the_capacity_is_the_same() {
    assert_eq!(limits::CAPACITY, Selection::CAPACITY);
}

#[test]
fn the_reserved_names_are_the_same() {
    assert_eq!(limits::RESERVED_NAMES, RESERVED_NAMES);
    for name in RESERVED_NAMES {
        assert!(validate_component_name(name).is_err(), "{name}");
    }
}

#[test]
fn the_built_in_groups_are_the_same() {
    assert_eq!(limits::BUILT_IN_GROUPS, group::BUILT_IN);
}

#[test]
fn the_name_rule_is_the_same() {
    let mut names: Vec<String> =
        ["db", "batch-jobs", "v2.api", "_x", "", ".", "..", "...", "a b", "a/b", "é", "a?b", "a%20b", "UPPER", "9"]
            .map(str::to_owned)
            .to_vec();
    // Every single ASCII character, and each between letters.
    names.extend((0u8..128).map(|byte| char::from(byte).to_string()));
    names.extend((0u8..128).map(|byte| format!("a{}b", char::from(byte))));
    for name in names {
        assert_eq!(limits::name_problem(&name).is_none(), validate_group_name(&name).is_ok(), "{name:?}");
    }
}

#[test]
fn the_longest_timeout_is_the_same() {
    assert_eq!(u128::from(limits::MAX_TIMEOUT_MILLIS), health_core::MAX_TIMEOUT.as_millis());
}
