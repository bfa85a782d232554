extension WebTemplates {
    /// `/units/{code}/clerks` and `/units/{code}/counters`: ranked by the Wilson lower bound,
    /// rows under `min_n` greyed and unranked, and the funnel plot.
    static let ranking = #"""
        {{#chrome}}
        {{> head}}
        <p class="note">{{t.rankingNote}}</p>
        {{#empty}}<p>{{t.noData}}</p>{{/empty}}
        {{^empty}}
        <div class="table-wrap">
        <table id="ranking" class="rates">
          <caption>{{heading}}</caption>
          <thead><tr><th scope="col" class="num">{{t.rank}}</th><th scope="col">{{groupName}}</th><th scope="col" class="num">{{t.n}}</th><th scope="col" class="num">{{t.rate}}</th><th scope="col">{{t.interval}}</th><th scope="col" class="num">{{t.responseRate}}</th><th scope="col">{{t.position}}</th></tr></thead>
          <tbody>
          {{#rows}}
          <tr data-key="{{key}}" data-total="{{total}}" data-satisfied="{{satisfied}}"{{#insufficient}} class="insufficient"{{/insufficient}}>
            <td class="num">{{#rank}}{{rank}}{{/rank}}{{^rank}}—{{/rank}}</td>
            <th scope="row">{{label}}</th>
            <td class="num">{{totalText}}</td>
            <td class="num">{{rateText}}</td>
            <td class="interval">{{#hasRate}}<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false"><rect class="track" x="0" y="4.5" width="100" height="1"/><rect class="ci" x="{{barLow}}" y="2" width="{{barWidth}}" height="6"/><rect class="mark" x="{{barRate}}" y="0" width="0.8" height="10"/></svg>{{/hasRate}}<span>{{lowText}} – {{highText}}</span></td>
            <td class="num">{{responseText}}</td>
            <td>{{#insufficient}}<span class="tag">{{t.insufficient}}</span>{{/insufficient}}{{^insufficient}}{{position}}{{/insufficient}}</td>
          </tr>
          {{/rows}}
          </tbody>
        </table>
        </div>
        {{#pager}}<nav class="pager" aria-label="{{t.pages}}">{{#previous}}<a rel="prev" href="{{.}}">{{t.previousPage}}</a>{{/previous}}<span>{{text}}</span>{{#next}}<a rel="next" href="{{.}}">{{t.nextPage}}</a>{{/next}}</nav>{{/pager}}
        {{> csvLink}}
        {{/empty}}

        <section aria-labelledby="h-funnel">
          <h2 id="h-funnel">{{t.funnel}}</h2>
          {{#funnel}}
          {{#empty}}<p>{{t.noData}}</p>{{/empty}}
          {{^empty}}
          <figure class="chart">
          <svg id="funnel" viewBox="0 0 640 304" role="img" aria-labelledby="funnel-title funnel-desc">
            <title id="funnel-title">{{title}}</title>
            <desc id="funnel-desc">{{desc}}</desc>
            {{#yTicks}}<line class="grid" x1="64" x2="628" y1="{{position}}" y2="{{position}}"/><text class="axis" x="58" y="{{position}}" dy="4" text-anchor="end">{{label}}</text>{{/yTicks}}
            {{#xTicks}}<text class="axis" x="{{position}}" y="276" text-anchor="middle">{{label}}</text>{{/xTicks}}
            <text class="axis" x="340" y="298" text-anchor="middle">{{t.n}} →</text>
            <polyline class="limit outer" points="{{outer}}"/><polyline class="limit outer" points="{{outerLow}}"/>
            <polyline class="limit inner" points="{{inner}}"/><polyline class="limit inner" points="{{innerLow}}"/>
            <line class="target" x1="64" x2="628" y1="{{targetY}}" y2="{{targetY}}"/>
            {{#crowd}}<path class="point circle crowd" d="{{.}}"/>{{/crowd}}
            {{#points}}
            {{#path}}<path class="point {{shape}}" d="{{path}}"><title>{{title}}</title></path>{{/path}}
            {{^path}}<circle class="point {{shape}}" cx="{{x}}" cy="{{y}}" r="4"><title>{{title}}</title></circle>{{/path}}
            {{/points}}
          </svg>
          <figcaption>{{desc}} {{t.funnelHelp}}</figcaption>
          </figure>
          <ul class="legend">
            <li><svg viewBox="0 0 24 10" aria-hidden="true" focusable="false"><line class="target" x1="0" x2="24" y1="5" y2="5"/></svg> {{t.target}} {{target}}</li>
            <li><svg viewBox="0 0 24 10" aria-hidden="true" focusable="false"><line class="limit inner" x1="0" x2="24" y1="5" y2="5"/></svg> {{t.limit95}}</li>
            <li><svg viewBox="0 0 24 10" aria-hidden="true" focusable="false"><line class="limit outer" x1="0" x2="24" y1="5" y2="5"/></svg> {{t.limit998}}</li>
          </ul>
          {{/empty}}
          {{/funnel}}
        </section>
        {{> foot}}
        {{/chrome}}
        """#

    /// `/units/{code}/heatmap`.
    static let heatmap = #"""
        {{#chrome}}
        {{> head}}
        {{#map}}
        {{#empty}}<p>{{t.noData}}</p>{{/empty}}
        {{^empty}}
        <figure class="chart">
        <svg id="heatmap" viewBox="0 0 620 {{height}}" role="img" aria-labelledby="heatmap-title heatmap-desc">
          <title id="heatmap-title">{{title}}</title>
          <desc id="heatmap-desc">{{desc}}</desc>
          <defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" class="hatch"/></pattern></defs>
          {{#columns}}<text class="axis" x="{{position}}" y="18" text-anchor="middle">{{text}}</text>{{/columns}}
          {{#rowLabels}}<text class="axis" x="50" y="{{position}}" text-anchor="end">{{text}}</text>{{/rowLabels}}
          {{#cells}}<g><rect class="cell" x="{{x}}" y="{{y}}" width="78" height="38" fill="{{fill}}"><title>{{title}}</title></rect>{{#small}}<rect x="{{x}}" y="{{y}}" width="78" height="38" fill="url(#hatch)" aria-hidden="true"/>{{/small}}<text class="cell-text" x="{{x}}" y="{{y}}" dx="39" dy="16" text-anchor="middle" fill="{{ink}}">{{text}}</text><text class="cell-volume" x="{{x}}" y="{{y}}" dx="39" dy="33" text-anchor="middle" fill="{{ink}}">{{volume}}</text></g>{{/cells}}
        </svg>
        <figcaption>{{desc}}</figcaption>
        </figure>
        <p class="note">{{t.smallN}}</p>
        <details>
          <summary>{{t.chartData}}</summary>
          <div class="table-wrap">
          <table id="heatmap-data">
            <caption>{{title}}</caption>
            <thead><tr><th scope="col">{{t.hour}}</th>{{#weekdays}}<th scope="col">{{.}}</th>{{/weekdays}}</tr></thead>
            <tbody>
            {{#table}}<tr><th scope="row">{{hour}}</th>{{#cells}}<td data-total="{{total}}" data-dissatisfied="{{dissatisfied}}"{{#small}} class="insufficient"{{/small}}>{{text}}{{#small}}*{{/small}}</td>{{/cells}}</tr>
            {{/table}}
            </tbody>
          </table>
          </div>
          {{> csvLink}}
        </details>
        {{/empty}}
        {{/map}}
        {{> foot}}
        {{/chrome}}
        """#
}
