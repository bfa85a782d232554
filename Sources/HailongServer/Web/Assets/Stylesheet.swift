/// `/static/app.css`. System fonts that carry Vietnamese diacritics (Noto Sans and DejaVu Sans
/// on Debian, Segoe UI on Windows, Roboto on Android); nothing is fetched from elsewhere.
/// Colours: Okabe–Ito blue and vermilion for marks, ColorBrewer Oranges for the heat map — both
/// safe for colour-blind readers — and every meaning is also said in text or shape.
enum Stylesheet {
    static let css = #"""
        :root { --ink: #1a1a1a; --muted: #5a5a5a; --line: #d0d0d0; --paper: #ffffff; --soft: #f4f6f8;
          --blue: #0072b2; --band: #56b4e9; --warn: #d55e00; --grey: #8a8a8a; }
        * { box-sizing: border-box; }
        html { font-family: "Noto Sans", "Segoe UI", Roboto, "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: var(--ink);
          background: var(--paper); font-size: 16px; line-height: 1.45; -webkit-text-size-adjust: 100%; }
        body { margin: 0; }
        a { color: #005a8c; }
        a:focus-visible, button:focus-visible, input:focus-visible, summary:focus-visible { outline: 3px solid #e69f00; outline-offset: 2px; }
        .skip { position: absolute; left: -999px; }
        .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 2; }
        .top { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; padding: 8px 16px; background: #12355b; color: #fff; }
        .top a { color: #fff; }
        .brand { font-weight: 700; text-decoration: none; font-size: 1.1rem; }
        .brand span { font-weight: 400; opacity: .85; margin-left: 4px; }
        .nav ul { display: flex; flex-wrap: wrap; gap: 4px 12px; list-style: none; margin: 0; padding: 0; }
        .nav a { text-decoration: none; padding: 2px 0; border-bottom: 2px solid transparent; }
        .nav a[aria-current] { border-bottom-color: #fff; font-weight: 600; }
        .who { margin-left: auto; display: flex; flex-wrap: wrap; align-items: center; gap: 8px; }
        .who form { margin: 0; }
        button { font: inherit; padding: 4px 12px; border: 1px solid #12355b; background: #fff; color: #12355b; border-radius: 4px; cursor: pointer; }
        .top button { border-color: #fff; background: transparent; color: #fff; }
        main { padding: 8px 16px 24px; max-width: 1240px; margin: 0 auto; }
        h1 { font-size: 1.5rem; margin: 8px 0; }
        h2 { font-size: 1.2rem; margin: 24px 0 8px; }
        .crumbs ol { list-style: none; display: flex; flex-wrap: wrap; margin: 8px 0 0; padding: 0; font-size: .95rem; }
        .crumbs li + li::before { content: "›"; margin: 0 6px; color: var(--muted); }
        .period fieldset { border: 1px solid var(--line); border-radius: 6px; display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: end; padding: 8px 12px; margin: 8px 0; }
        .period legend { font-weight: 600; padding: 0 4px; }
        .periods { display: flex; flex-wrap: wrap; gap: 6px; list-style: none; margin: 0; padding: 0; }
        .periods a { display: inline-block; padding: 3px 10px; border: 1px solid var(--line); border-radius: 14px; text-decoration: none; }
        .periods a[aria-current] { background: #12355b; color: #fff; border-color: #12355b; }
        .period label { display: flex; flex-direction: column; font-size: .85rem; }
        input { font: inherit; padding: 4px 6px; border: 1px solid #8a8a8a; border-radius: 4px; max-width: 100%; }
        .range { color: var(--muted); margin: 4px 0 12px; font-size: .95rem; }
        .headline { background: var(--soft); border-radius: 8px; padding: 12px 16px; }
        .headline h2 { margin-top: 0; }
        .big { font-size: 3rem; font-weight: 700; margin: 0; color: #12355b; }
        .facts { display: flex; flex-wrap: wrap; gap: 8px 32px; margin: 8px 0; }
        .facts dt { font-size: .85rem; color: var(--muted); }
        .facts dd { margin: 0; font-size: 1.15rem; font-weight: 600; }
        .notice { background: #fff4e5; border-left: 4px solid var(--warn); padding: 6px 10px; }
        .note, .live, figcaption { color: var(--muted); font-size: .9rem; }
        .chart { margin: 0; overflow-x: auto; max-width: 100%; }
        .chart svg { width: 100%; height: auto; max-width: 960px; display: block; }
        svg text { font-family: inherit; }
        .axis { font-size: 12px; fill: #3a3a3a; }
        .grid { stroke: #e3e3e3; stroke-width: 1; }
        .band { fill: var(--band); fill-opacity: .3; stroke: none; }
        .line { fill: none; stroke: var(--blue); stroke-width: 2; }
        .point { fill: var(--blue); stroke: var(--blue); stroke-width: 1.5; }
        .point.hollow { fill: #fff; stroke-dasharray: 2 1; }
        .point.square { fill: #e69f00; stroke: #6b4a00; }
        .point.diamond { fill: var(--warn); stroke: #5a2400; }
        .limit { fill: none; stroke: #3a3a3a; stroke-width: 1.2; }
        .limit.inner { stroke-dasharray: 5 3; }
        .limit.outer { stroke-dasharray: 1 3; stroke-width: 1.6; }
        .target { stroke: var(--blue); stroke-width: 1.5; }
        .legend { display: flex; flex-wrap: wrap; gap: 4px 20px; list-style: none; padding: 0; font-size: .9rem; }
        .legend svg { width: 24px; height: 10px; vertical-align: middle; }
        .cell { stroke: #ffffff; stroke-width: 1; }
        .cell-text { font-size: 12px; }
        .cell-volume { font-size: 10px; }
        .hatch { stroke: #1a1a1a; stroke-width: 1; stroke-opacity: .35; }
        .table-wrap { overflow-x: auto; max-width: 100%; }
        .pager { display: flex; flex-wrap: wrap; gap: 1rem; align-items: baseline; margin: .5rem 0; }
        table { border-collapse: collapse; width: 100%; font-size: .95rem; }
        caption { text-align: left; font-weight: 600; padding: 4px 0; }
        th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        thead th { border-bottom: 2px solid #8a8a8a; font-size: .85rem; }
        td code, th code { white-space: nowrap; }
        .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        tr.insufficient { color: var(--grey); background: #fafafa; }
        tr.insufficient th a { color: #555; }
        .tag { display: inline-block; font-size: .75rem; border: 1px solid var(--grey); border-radius: 3px; padding: 0 4px; color: #555; white-space: nowrap; }
        .interval { min-width: 140px; }
        .interval span { font-size: .8rem; color: var(--muted); white-space: nowrap; }
        .bar { display: block; width: 120px; height: 10px; }
        .bar .track { fill: #c8c8c8; }
        .bar .ci { fill: var(--band); }
        .bar .mark { fill: #12355b; }
        tr.silent, tr.open { background: #fff4e5; }
        .flag { color: #8a3200; }
        .ack { display: flex; flex-wrap: wrap; gap: 6px; align-items: end; }
        .lookup { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 12px 0; }
        .csv-line { margin: 6px 0 0; }
        .foot { border-top: 1px solid var(--line); color: var(--muted); font-size: .85rem; padding: 8px 16px; max-width: 1240px; margin: 0 auto; }
        .login { max-width: 360px; margin: 10vh auto; padding: 16px; }
        .login form { display: flex; flex-direction: column; gap: 6px; }
        .login button { margin-top: 8px; background: #12355b; color: #fff; padding: 8px; }
        .login h1 span { display: block; font-size: 1rem; font-weight: 400; color: var(--muted); }
        @media (max-width: 600px) {
          main { padding: 8px 10px 20px; }
          .big { font-size: 2.4rem; }
          .who { margin-left: 0; }
          th, td { padding: 5px 5px; }
          .bar { width: 80px; }
          .interval { min-width: 90px; }
          /* A chart keeps a width its labels can be read at (≥ 11 px) and scrolls sideways in
             its own box; the page itself never does. */
          .chart svg { min-width: 600px; }
          .axis, .cell-text { font-size: 13px; }
          .cell-volume { font-size: 11px; }
        }
        """#

    /// `/static/icon.svg` (so browsers find an icon here and ask nowhere else).
    static let icon = #"""
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="15" fill="#12355b"/><path d="M9 19q7 7 14 0" stroke="#fff" stroke-width="3" fill="none" stroke-linecap="round"/><circle cx="11" cy="12" r="2" fill="#fff"/><circle cx="21" cy="12" r="2" fill="#fff"/></svg>
        """#
}
