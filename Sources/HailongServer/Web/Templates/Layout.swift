/// The frame of every signed-in page: `{{> head}}` … `{{> foot}}`, rendered with the page's
/// `Chrome` on top of the context (so `t.…` is the page's text in its language).
extension WebTemplates {
    /// The document's start, on every page (signed in or not): the context gives `lang` and `title`.
    static let document = #"""
        <!doctype html>
        <html lang="{{lang}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} — Hailong</title>
        <link rel="stylesheet" href="/static/app.css">
        <link rel="icon" href="/static/icon.svg" type="image/svg+xml">
        </head>
        """#

    static let head = #"""
        {{> document}}
        <body>
        <a class="skip" href="#content">{{t.skip}}</a>
        <header class="top">
          <a class="brand" href="/">Hailong <span>{{t.brand}}</span></a>
          <nav class="nav" aria-label="{{t.menu}}">
            <ul>{{#nav}}<li><a href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a></li>{{/nav}}</ul>
          </nav>
          <div class="who">
            <span class="account">{{account}}</span>
            <a class="lang" href="{{langHref}}" hreflang="{{otherLang}}" lang="{{otherLang}}">{{langLabel}}</a>
            <form method="post" action="/logout" class="logout">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <button type="submit">{{t.logout}}</button>
            </form>
          </div>
        </header>
        <main id="content">
        {{#hasBreadcrumbs}}
        <nav class="crumbs" aria-label="{{t.breadcrumbs}}"><ol>{{#breadcrumbs}}<li>{{#href}}<a href="{{href}}">{{name}}</a>{{/href}}{{^href}}<span aria-current="page">{{name}}</span>{{/href}}</li>{{/breadcrumbs}}</ol></nav>
        {{/hasBreadcrumbs}}
        <h1>{{heading}}</h1>
        {{#picker}}
        <form class="period" method="get" action="{{action}}">
          <fieldset>
            <legend>{{t.period}}</legend>
            {{#hidden}}<input type="hidden" name="{{name}}" value="{{value}}">{{/hidden}}
            <ul class="periods">{{#options}}<li><a href="{{href}}"{{#current}} aria-current="true"{{/current}}>{{label}}</a></li>{{/options}}</ul>
            <label>{{t.from}} <input type="date" name="from" value="{{from}}" required></label>
            <label>{{t.to}} <input type="date" name="to" value="{{to}}" required></label>
            <button type="submit">{{t.show}}</button>
          </fieldset>
        </form>
        <p class="range">{{t.range}}: <span id="range" data-from="{{from}}" data-to="{{to}}">{{fromText}} – {{toText}}</span> · {{t.timeZone}} {{zone}}</p>
        {{/picker}}
        """#

    static let foot = #"""
        </main>
        <footer class="foot">{{#rateNote}}<p>{{t.footer}}</p>{{/rateNote}}<p>Hailong · <a href="/openapi.yaml">API</a></p></footer>
        </body>
        </html>
        """#

    /// One table's download link: the same numbers as the API's CSV.
    static let csvLink = #"""
        <p class="csv-line"><a class="csv" href="{{csv}}" download>{{t.csv}}</a></p>
        """#
}
