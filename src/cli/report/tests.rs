//! What the reporter says, and how: one-line errors, colours, the QR code, JSON events.

use super::*;

#[test]
fn control_characters_from_servers_are_escaped() {
    assert_eq!(clean("bad\x1b[31mred\nline"), "bad\\u{1b}[31mred\\nline");
}

const URL: &str = "https://misskey.io/miauth/0b6c7f5e?name=miauth";

#[test]
fn the_qr_code_is_drawn_with_half_blocks_only() {
    for style in [QrStyle::PlainOnDark, QrStyle::PlainOnLight] {
        let code = qr_code(URL, style).unwrap();
        assert!(code.lines().count() > 10);
        assert!(code.chars().all(|c| " ▀▄█\n".contains(c)), "{code}");
    }
}

/// The character drawn for the top-left finder pattern's outer corner: the quiet zone is
/// four modules (two lines) wide, so it is at line 2, column 4.
fn corner_and_margin(code: &str) -> (char, String) {
    let lines: Vec<&str> = code.lines().collect();
    (
        lines[2].chars().nth(4).unwrap(),
        lines[0].chars().take(8).collect(),
    )
}

#[test]
fn in_colour_the_code_is_black_modules_on_white_whatever_the_terminal() {
    let code = qr_code(URL, QrStyle::Coloured).unwrap();
    for line in code.lines() {
        assert!(line.starts_with(BLACK_ON_WHITE), "{line:?}");
        assert!(line.ends_with(RESET), "{line:?}");
    }
    let plain = code.replace(BLACK_ON_WHITE, "").replace(RESET, "");
    // Blocks take the text colour, black: a dark module is a block, the margin blank.
    assert_eq!(corner_and_margin(&plain), ('█', " ".repeat(8)));
}

#[test]
fn without_colour_the_modules_are_whichever_of_block_and_gap_is_darker() {
    let on_light = qr_code(URL, QrStyle::PlainOnLight).unwrap();
    assert_eq!(corner_and_margin(&on_light), ('█', " ".repeat(8)));
    let on_dark = qr_code(URL, QrStyle::PlainOnDark).unwrap();
    assert_eq!(corner_and_margin(&on_dark), (' ', "█".repeat(8)));
}

#[test]
fn colours_are_used_unless_no_color_is_set_or_the_terminal_cannot() {
    assert!(colours_allowed(None, true));
    assert!(colours_allowed(Some("".into()), true), "empty means unset");
    assert!(!colours_allowed(Some("1".into()), true));
    assert!(!colours_allowed(None, false));
    assert_eq!(qr_style(true, None), QrStyle::Coloured);
    assert_eq!(qr_style(false, None), QrStyle::PlainOnDark);
    assert_eq!(qr_style(false, Some("0;15")), QrStyle::PlainOnLight);
    assert_eq!(qr_style(false, Some("15;default;0")), QrStyle::PlainOnDark);
}

#[test]
fn error_events_carry_code_kind_message_and_hint() {
    let e = Error::Interrupted {
        answer_lost: false,
        approved: false,
    };
    assert_eq!(
        error_event(&e, 143),
        json!({"event": "error", "code": 143, "kind": "interrupted",
               "message": "interrupted before the login was approved", "hint": null})
    );
}
