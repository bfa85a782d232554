extension WebTemplates {
    /// `/units/{code}`: the headline rate with n, interval and response rate; the trend; the
    /// units below.
    static let overview = #"""
        {{#chrome}}
        {{> head}}
        <section class="headline" aria-labelledby="h-rate" data-live="{{liveURL}}">
          <h2 id="h-rate">{{t.satisfaction}}</h2>
          {{#headline}}
          <p class="big"><data id="headline-rate" value="{{rateValue}}">{{rateText}}</data></p>
          <dl class="facts">
            <div><dt>{{t.n}}</dt><dd><data id="headline-n" value="{{total}}">{{totalText}}</data></dd></div>
            <div><dt>{{t.interval}}</dt><dd><data id="headline-wilson-low" value="{{lowValue}}">{{lowText}}</data> – <data id="headline-wilson-high" value="{{highValue}}">{{highText}}</data></dd></div>
            <div><dt>{{t.responseRate}}</dt><dd><data id="headline-response" value="{{responseValue}}">{{responseText}}</data></dd></div>
          </dl>
          <p class="notice" id="headline-insufficient"{{^insufficient}} hidden{{/insufficient}}>{{t.insufficientNote}}</p>
          {{/headline}}
          <p class="live" id="live-status" aria-live="polite">{{t.liveOn}}</p>
        </section>

        <section aria-labelledby="h-trend">
          <h2 id="h-trend">{{trend.title}}</h2>
          {{#trend}}
          {{#empty}}<p>{{t.noData}}</p>{{/empty}}
          {{^empty}}
          <figure class="chart">
          <svg id="trend" viewBox="0 0 640 240" role="img" aria-labelledby="trend-title trend-desc">
            <title id="trend-title">{{title}}</title>
            <desc id="trend-desc">{{desc}}</desc>
            {{#yTicks}}<line class="grid" x1="60" x2="628" y1="{{position}}" y2="{{position}}"/><text class="axis" x="54" y="{{position}}" dy="4" text-anchor="end">{{label}}</text>{{/yTicks}}
            {{#segments}}<polygon class="band" points="{{band}}"/><polyline class="line" points="{{line}}"/>{{/segments}}
            {{#points}}<circle class="{{#hollow}}point hollow{{/hollow}}{{^hollow}}point{{/hollow}}" cx="{{cx}}" cy="{{cy}}" r="4"><title>{{title}}</title></circle>{{/points}}
            {{#xTicks}}<text class="axis" x="{{position}}" y="228" text-anchor="middle">{{label}}</text>{{/xTicks}}
          </svg>
          <figcaption>{{desc}}</figcaption>
          </figure>
          {{/empty}}
          <details>
            <summary>{{t.chartData}}</summary>
            <div class="table-wrap">
            <table id="trend-data">
              <caption>{{title}}</caption>
              <thead><tr><th scope="col">{{t.bucket}}</th><th scope="col" class="num">{{t.n}}</th><th scope="col" class="num">{{t.rate}}</th><th scope="col">{{t.interval}}</th><th scope="col" class="num">{{t.responseRate}}</th></tr></thead>
              <tbody>
              {{#rows}}<tr data-key="{{key}}" data-total="{{total}}" data-satisfied="{{satisfied}}"{{#insufficient}} class="insufficient"{{/insufficient}}><th scope="row">{{label}}</th><td class="num">{{totalText}}</td><td class="num">{{rateText}}{{#insufficient}} <span class="tag">{{t.insufficient}}</span>{{/insufficient}}</td><td>{{lowText}} – {{highText}}</td><td class="num">{{responseText}}</td></tr>
              {{/rows}}
              </tbody>
            </table>
            </div>
            {{> csvLink}}
          </details>
          {{/trend}}
        </section>

        <section aria-labelledby="h-children">
          <h2 id="h-children">{{t.children}}</h2>
          {{#hasChildren}}
          <div class="table-wrap">
          <table id="children" class="rates">
            <caption>{{t.children}} — {{heading}}</caption>
            <thead><tr><th scope="col">{{t.unit}}</th><th scope="col" class="num">{{t.n}}</th><th scope="col" class="num">{{t.rate}}</th><th scope="col">{{t.interval}}</th><th scope="col" class="num">{{t.responseRate}}</th></tr></thead>
            <tbody>
            {{#children}}{{> rateCells}}{{/children}}
            </tbody>
          </table>
          </div>
          {{#childrenCSV}}<p class="csv-line"><a class="csv" href="{{childrenCSV}}" download>{{t.csv}}</a></p>{{/childrenCSV}}
          {{/hasChildren}}
          {{^hasChildren}}<p>{{t.noChildren}}</p>{{/hasChildren}}
        </section>
        <script src="/static/live.js" defer></script>
        {{> foot}}
        {{/chrome}}
        """#

    /// A unit's (or any group's) row without rank: name, n, rate, interval bar, response rate.
    static let rateCells = #"""
        <tr data-key="{{key}}" data-total="{{total}}" data-satisfied="{{satisfied}}"{{#insufficient}} class="insufficient"{{/insufficient}}>
          <th scope="row">{{#href}}<a href="{{href}}">{{label}}</a>{{/href}}{{^href}}{{label}}{{/href}}</th>
          <td class="num">{{totalText}}</td>
          <td class="num">{{rateText}}{{#insufficient}} <span class="tag">{{t.insufficient}}</span>{{/insufficient}}</td>
          <td class="interval">{{#hasRate}}<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false"><rect class="track" x="0" y="4.5" width="100" height="1"/><rect class="ci" x="{{barLow}}" y="2" width="{{barWidth}}" height="6"/><rect class="mark" x="{{barRate}}" y="0" width="0.8" height="10"/></svg>{{/hasRate}}<span>{{lowText}} – {{highText}}</span></td>
          <td class="num">{{responseText}}</td>
        </tr>
        """#
}
