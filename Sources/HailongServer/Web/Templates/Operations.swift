extension WebTemplates {
    /// `/boards`: each board's health; a board silent during opening hours is marked in words.
    static let boards = #"""
        {{#chrome}}
        {{> head}}
        {{#empty}}<p>{{t.noBoards}}</p>{{/empty}}
        {{^empty}}
        <div class="table-wrap">
        <table id="boards">
          <caption>{{heading}}</caption>
          <thead><tr><th scope="col">{{t.board}}</th><th scope="col">{{t.unit}}</th><th scope="col">{{t.counter}}</th><th scope="col">{{t.state}}</th><th scope="col">{{t.lastSeen}}</th><th scope="col" class="num">{{t.backlog}}</th><th scope="col">{{t.clock}}</th><th scope="col">{{t.faults}}</th><th scope="col" class="num">{{t.ratingsInPeriod}}</th><th scope="col" class="num">{{t.rate}}</th><th scope="col">{{t.version}}</th></tr></thead>
          <tbody>
          {{#rows}}
          <tr data-key="{{id}}"{{#silent}} class="silent"{{/silent}}{{#problem}} data-problem="true"{{/problem}}>
            <th scope="row"><code>{{id}}</code></th>
            <td>{{unit}}</td>
            <td>{{counter}}</td>
            <td>{{#silent}}<strong class="flag">⚠ {{t.silent}}</strong>{{/silent}}{{^silent}}{{state}}{{/silent}}</td>
            <td>{{lastSeen}}</td>
            <td class="num">{{backlog}}</td>
            <td>{{#clockBad}}<strong class="flag">⚠ {{clock}}</strong>{{/clockBad}}{{^clockBad}}{{clock}}{{/clockBad}}</td>
            <td>{{#faults}}<strong class="flag">⚠ {{faults}}</strong>{{/faults}}</td>
            <td class="num">{{ratings}}</td>
            <td class="num">{{rate}}</td>
            <td>{{version}}</td>
          </tr>
          {{/rows}}
          </tbody>
        </table>
        </div>
        {{> csvLink}}
        {{/empty}}
        {{> foot}}
        {{/chrome}}
        """#

    /// `/alerts`: the scope's alerts, each with an acknowledge form while unacknowledged.
    static let alerts = #"""
        {{#chrome}}
        {{> head}}
        {{#done}}<p class="notice" role="status">{{done}}</p>{{/done}}
        {{#empty}}<p>{{t.noAlerts}}</p>{{/empty}}
        {{^empty}}
        <div class="table-wrap">
        <table id="alerts">
          <caption>{{heading}}</caption>
          <thead><tr><th scope="col">{{t.alertAt}}</th><th scope="col">{{t.alertKind}}</th><th scope="col">{{t.unit}}</th><th scope="col">{{t.board}}</th><th scope="col">{{t.alertMessage}}</th><th scope="col">{{t.state}}</th></tr></thead>
          <tbody>
          {{#rows}}
          <tr data-key="{{id}}"{{^acknowledged}} class="open"{{/acknowledged}}>
            <td>{{at}}</td>
            <th scope="row">{{kind}}</th>
            <td>{{unit}}</td>
            <td>{{#board}}<code>{{board}}</code>{{/board}}</td>
            <td>{{message}}</td>
            <td>
              {{#acknowledged}}{{t.acknowledged}}: {{by}}, {{when}}{{#comment}} — “{{comment}}”{{/comment}}{{/acknowledged}}
              {{^acknowledged}}
              <form method="post" action="/alerts/{{id}}/ack" class="ack">
                <input type="hidden" name="csrf" value="{{csrf}}">
                <input type="hidden" name="unit" value="{{scope}}">
                <label>{{t.comment}} <input name="comment" maxlength="500"></label>
                <button type="submit">{{t.acknowledge}}</button>
              </form>
              {{/acknowledged}}
            </td>
          </tr>
          {{/rows}}
          </tbody>
        </table>
        </div>
        {{> csvLink}}
        {{/empty}}
        {{> foot}}
        {{/chrome}}
        """#

    /// `/dossiers?code=…`.
    static let dossier = #"""
        {{#chrome}}
        {{> head}}
        <form method="get" action="/dossiers" class="lookup">
          <label for="code">{{t.dossierCode}}</label>
          <input id="code" name="code" value="{{code}}" maxlength="64" required>
          <button type="submit">{{t.lookUp}}</button>
        </form>
        {{#notFound}}<p class="notice" role="status">{{t.dossierNotFound}}</p>{{/notFound}}
        {{#found}}
        <section id="dossier" aria-labelledby="h-dossier" data-outcome="{{outcomeKey}}">
          <h2 id="h-dossier">{{dossier}}</h2>
          <dl class="facts">
            <div><dt>{{t.outcome}}</dt><dd>{{outcome}}</dd></div>
            <div><dt>{{t.rating}}</dt><dd>{{rating}}</dd></div>
            <div><dt>{{t.ratedAt}}</dt><dd>{{ratedAt}}</dd></div>
            <div><dt>{{t.clerk}}</dt><dd>{{clerk}}</dd></div>
            <div><dt>{{t.unit}}</dt><dd>{{unit}}</dd></div>
            <div><dt>{{t.counter}}</dt><dd>{{counter}}</dd></div>
          </dl>
          <div class="table-wrap">
          <table id="dossier-events">
            <caption>{{t.events}}</caption>
            <thead><tr><th scope="col">{{t.alertAt}}</th><th scope="col">{{t.eventKind}}</th><th scope="col">{{t.board}}</th><th scope="col">{{t.clerk}}</th></tr></thead>
            <tbody>{{#events}}<tr><td>{{at}}</td><th scope="row">{{kind}}</th><td><code>{{board}}</code></td><td>{{clerk}}</td></tr>{{/events}}</tbody>
          </table>
          </div>
          {{> csvLink}}
        </section>
        {{/found}}
        {{> foot}}
        {{/chrome}}
        """#
}
