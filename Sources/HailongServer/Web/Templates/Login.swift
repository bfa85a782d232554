extension WebTemplates {
    static let login = #"""
        {{> document}}
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
        {{> document}}
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
