//! The QR code of the authorisation URL, for a phone when no browser opens here: drawn with
//! half blocks, in the terminal's own colours or in black on white.

/// How the QR code is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum QrStyle {
    /// Black modules on a white background, whatever the terminal's own colours.
    Coloured,
    /// No colours, on a dark background: the modules are the gaps between light blocks.
    PlainOnDark,
    /// No colours, on a light background: the modules are dark blocks.
    PlainOnLight,
}

/// Colours where allowed, since scanners expect dark modules on a light background and only
/// colours make that so on every terminal. Without them, `COLORFGBG` (`fg;bg`, set by some
/// terminals) tells a light background; dark is the more common one otherwise.
pub(super) fn qr_style(colours: bool, colorfgbg: Option<&str>) -> QrStyle {
    if colours {
        return QrStyle::Coloured;
    }
    // The 16-colour palette's light backgrounds are 7 (white) and 9 to 15.
    let light = colorfgbg
        .and_then(|v| v.rsplit(';').next())
        .and_then(|bg| bg.trim().parse::<u8>().ok())
        .is_some_and(|bg| bg == 7 || (9..=15).contains(&bg));
    if light {
        QrStyle::PlainOnLight
    } else {
        QrStyle::PlainOnDark
    }
}

/// Black on white, in the 16 colours every colour terminal has.
pub(super) const BLACK_ON_WHITE: &str = "\x1b[30;47m";
pub(super) const RESET: &str = "\x1b[0m";

/// The URL as a QR code in Unicode half blocks, with its quiet zone (the light margin
/// scanners need). A half block is drawn in the text colour: in black where it is set,
/// otherwise a module is a block where the text is the darker colour.
pub(super) fn qr_code(url: &str, style: QrStyle) -> Option<String> {
    use qrcode::render::unicode::Dense1x2;
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    let (dark, light) = match style {
        QrStyle::Coloured | QrStyle::PlainOnLight => (Dense1x2::Dark, Dense1x2::Light),
        QrStyle::PlainOnDark => (Dense1x2::Light, Dense1x2::Dark),
    };
    let image = code
        .render::<Dense1x2>()
        .dark_color(dark)
        .light_color(light)
        .quiet_zone(true)
        .build();
    let mut text = String::new();
    for line in image.lines() {
        if style == QrStyle::Coloured {
            // Each line ends its colours, so no background runs on past the code.
            text.push_str(&format!("{BLACK_ON_WHITE}{line}{RESET}\n"));
        } else {
            text.push_str(line);
            text.push('\n');
        }
    }
    Some(text)
}
