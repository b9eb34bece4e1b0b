//! Reports of more checks than one tuple of the runtime holds (twelve): the
//! derive nests them, and every result must still land in its own field,
//! selections and aggregation must see every position, up to the most
//! components a report may have (128).

use health_core::report::{ComponentSet, ComponentVisitor, Selection};
use health_core::{Component, HealthReport, Outcome, Status, health_check};

/// The status each check answers, by position.
struct Answers(Vec<Status>);

impl Answers {
    fn up(len: usize) -> Self {
        Answers(vec![Status::Up; len])
    }

    fn with(mut self, index: usize, status: Status) -> Self {
        self.0[index] = status;
        self
    }
}

/// Each check answers its position as details, with the status `Answers`
/// holds for it; the report's fields are named like the checks.
macro_rules! wide_report {
    ($report:ident: $($check:ident $type:ident = $index:literal),+ $(,)?) => {
        $(
            #[health_check(critical)]
            async fn $check(answers: &Answers) -> Outcome<usize> {
                Outcome::with_details(answers.0[$index], $index)
            }
        )+

        #[derive(HealthReport, Default)]
        #[health(state = Answers)]
        struct $report {
            $( $check: $type, )+
        }
    };
}

wide_report!(Thirty:
    w0 W0Check = 0, w1 W1Check = 1, w2 W2Check = 2, w3 W3Check = 3, w4 W4Check = 4,
    w5 W5Check = 5, w6 W6Check = 6, w7 W7Check = 7, w8 W8Check = 8, w9 W9Check = 9,
    w10 W10Check = 10, w11 W11Check = 11, w12 W12Check = 12, w13 W13Check = 13, w14 W14Check = 14,
    w15 W15Check = 15, w16 W16Check = 16, w17 W17Check = 17, w18 W18Check = 18, w19 W19Check = 19,
    w20 W20Check = 20, w21 W21Check = 21, w22 W22Check = 22, w23 W23Check = 23, w24 W24Check = 24,
    w25 W25Check = 25, w26 W26Check = 26, w27 W27Check = 27, w28 W28Check = 28, w29 W29Check = 29,
);

/// Every component's position, name and details, in visiting order.
#[derive(Default)]
struct Seen(Vec<(usize, String, Option<usize>, Status)>);

impl ComponentVisitor for Seen {
    fn component<T: serde::Serialize>(&mut self, index: usize, name: &str, component: &Component<T>) {
        let details = component.details.as_ref().map(|details| {
            serde_json::to_value(details).unwrap().as_u64().map(|n| n as usize).expect("details are positions")
        });
        self.0.push((index, name.to_owned(), details, component.status));
    }
}

fn seen<C: ComponentSet>(components: &C) -> Seen {
    let mut seen = Seen::default();
    components.visit(&mut seen);
    seen
}

#[tokio::test]
async fn every_result_lands_in_its_own_field_across_nested_tuples() {
    let report = Thirty::default().report(&Answers::up(30)).await;
    assert_eq!(report.status, Status::Up);
    let seen = seen(&report.components);
    assert_eq!(seen.0.len(), 30);
    for (position, (index, name, details, status)) in seen.0.iter().enumerate() {
        assert_eq!(
            (*index, name.as_str(), *details, *status),
            (position, format!("w{position}").as_str(), Some(position), Status::Up)
        );
    }
    // The typed fields too, on both sides of a tuple's boundary.
    assert_eq!(report.components.w11.details, Some(11));
    assert_eq!(report.components.w12.details, Some(12));
    assert_eq!(report.components.w29.details, Some(29));
}

#[tokio::test]
async fn a_selection_runs_the_positions_it_names_in_every_tuple() {
    let selection = Selection::none().with(0).with(12).with(13).with(29);
    let report = Thirty::default().report_selected(&Answers::up(30), selection).await;
    for (index, _, details, status) in seen(&report.components).0 {
        let expected = selection.contains(index).then_some(index);
        assert_eq!(details, expected, "component {index}");
        assert_eq!(status, Status::Up);
    }
}

#[tokio::test]
async fn aggregation_sees_every_position() {
    for index in [0, 11, 12, 23, 24, 29] {
        let down = Thirty::default().report(&Answers::up(30).with(index, Status::Down)).await;
        assert_eq!(down.status, Status::Down, "a critical DOWN at {index}");
        let degraded = Thirty::default().report(&Answers::up(30).with(index, Status::Degraded)).await;
        assert_eq!(degraded.status, Status::Degraded, "a DEGRADED at {index}");
    }
    // A component that did not run does not count.
    let selection = Selection::none().with(1);
    let report = Thirty::default().report_selected(&Answers::up(30).with(20, Status::Down), selection).await;
    assert_eq!(report.status, Status::Up);
}

/// The most components a report may have, all run and all in place.
mod widest {
    use super::*;

    macro_rules! widest {
        ($($check:ident $type:ident = $index:literal),+ $(,)?) => {
            wide_report!(Widest: $($check $type = $index),+);
        };
    }

    // 128 checks, `x0` to `x127`.
    widest!(
        x0 X0Check = 0, x1 X1Check = 1, x2 X2Check = 2, x3 X3Check = 3, x4 X4Check = 4, x5 X5Check = 5, x6 X6Check = 6, x7 X7Check = 7,
        x8 X8Check = 8, x9 X9Check = 9, x10 X10Check = 10, x11 X11Check = 11, x12 X12Check = 12, x13 X13Check = 13, x14 X14Check = 14, x15 X15Check = 15,
        x16 X16Check = 16, x17 X17Check = 17, x18 X18Check = 18, x19 X19Check = 19, x20 X20Check = 20, x21 X21Check = 21, x22 X22Check = 22, x23 X23Check = 23,
        x24 X24Check = 24, x25 X25Check = 25, x26 X26Check = 26, x27 X27Check = 27, x28 X28Check = 28, x29 X29Check = 29, x30 X30Check = 30, x31 X31Check = 31,
        x32 X32Check = 32, x33 X33Check = 33, x34 X34Check = 34, x35 X35Check = 35, x36 X36Check = 36, x37 X37Check = 37, x38 X38Check = 38, x39 X39Check = 39,
        x40 X40Check = 40, x41 X41Check = 41, x42 X42Check = 42, x43 X43Check = 43, x44 X44Check = 44, x45 X45Check = 45, x46 X46Check = 46, x47 X47Check = 47,
        x48 X48Check = 48, x49 X49Check = 49, x50 X50Check = 50, x51 X51Check = 51, x52 X52Check = 52, x53 X53Check = 53, x54 X54Check = 54, x55 X55Check = 55,
        x56 X56Check = 56, x57 X57Check = 57, x58 X58Check = 58, x59 X59Check = 59, x60 X60Check = 60, x61 X61Check = 61, x62 X62Check = 62, x63 X63Check = 63,
        x64 X64Check = 64, x65 X65Check = 65, x66 X66Check = 66, x67 X67Check = 67, x68 X68Check = 68, x69 X69Check = 69, x70 X70Check = 70, x71 X71Check = 71,
        x72 X72Check = 72, x73 X73Check = 73, x74 X74Check = 74, x75 X75Check = 75, x76 X76Check = 76, x77 X77Check = 77, x78 X78Check = 78, x79 X79Check = 79,
        x80 X80Check = 80, x81 X81Check = 81, x82 X82Check = 82, x83 X83Check = 83, x84 X84Check = 84, x85 X85Check = 85, x86 X86Check = 86, x87 X87Check = 87,
        x88 X88Check = 88, x89 X89Check = 89, x90 X90Check = 90, x91 X91Check = 91, x92 X92Check = 92, x93 X93Check = 93, x94 X94Check = 94, x95 X95Check = 95,
        x96 X96Check = 96, x97 X97Check = 97, x98 X98Check = 98, x99 X99Check = 99, x100 X100Check = 100, x101 X101Check = 101, x102 X102Check = 102, x103 X103Check = 103,
        x104 X104Check = 104, x105 X105Check = 105, x106 X106Check = 106, x107 X107Check = 107, x108 X108Check = 108, x109 X109Check = 109, x110 X110Check = 110, x111 X111Check = 111,
        x112 X112Check = 112, x113 X113Check = 113, x114 X114Check = 114, x115 X115Check = 115, x116 X116Check = 116, x117 X117Check = 117, x118 X118Check = 118, x119 X119Check = 119,
        x120 X120Check = 120, x121 X121Check = 121, x122 X122Check = 122, x123 X123Check = 123, x124 X124Check = 124, x125 X125Check = 125, x126 X126Check = 126, x127 X127Check = 127,
    );

    #[tokio::test]
    async fn a_report_of_128_checks_runs_them_all_in_place() {
        let report = Widest::default().report(&Answers::up(128).with(127, Status::Degraded)).await;
        assert_eq!(report.status, Status::Degraded);
        let seen = seen(&report.components);
        assert_eq!(seen.0.len(), 128);
        for (position, (index, name, details, _)) in seen.0.into_iter().enumerate() {
            assert_eq!((index, name, details), (position, format!("x{position}"), Some(position)));
        }
    }
}
