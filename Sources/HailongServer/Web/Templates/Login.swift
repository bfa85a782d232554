extension WebTemplates {
    static let login = #"""
        <!doctype html>
        <html lang="{{lang}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{t.signIn}} — Hailong</title>
        <link rel="stylesheet" href="/static/app.css">
        <link rel="icon" href="/static/icon.svg" type="image/svg+xml">
        </head>
        <body class="login-page">
        <main id="content" class="login">
          <h1>Hailong <span>{{t.brand}}</span></h1>
          <p class="lang-line"><a href="{{langHref}}" hreflang="{{otherLang}}" lang="{{otherLang}}">{{langLabel}}</a></p>
          {{#message}}<p class="notice" role="alert">{{message}}</p>{{/message}}
          <form method="post" action="/login">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <input type="hidden" name="next" value="{{next}}">
            <label for="username">{{t.username}}</label>
            <input id="username" name="username" autocomplete="username" required value="{{username}}" maxlength="64" autofocus>
            <label for="password">{{t.password}}</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="200">
            <button type="submit">{{t.signIn}}</button>
          </form>
        </main>
        </body>
        </html>
        """#

    /// Any refusal or failure, signed in or not: what happened and where to go.
    static let error = #"""
        <!doctype html>
        <html lang="{{lang}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{status}} — Hailong</title>
        <link rel="stylesheet" href="/static/app.css">
        <link rel="icon" href="/static/icon.svg" type="image/svg+xml">
        </head>
        <body>
        <main id="content" class="error">
          <h1>{{status}} · {{heading}}</h1>
          <p class="notice" role="alert">{{message}}</p>
          <p><a href="/">{{t.home}}</a></p>
        </main>
        </body>
        </html>
        """#
}
