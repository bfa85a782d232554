import HailongDomain

/// The dashboard's words, Vietnamese first, English beside. A key missing from the table shows
/// as itself (a test reads every page, so a missing key is seen, never a crash).
struct WebText: Sendable {
    let language: WebLanguage

    subscript(_ key: String) -> String {
        guard let pair = Self.table[key] else { return key }
        return language == .vi ? pair.0 : pair.1
    }

    /// Every key, for templates (`{{t.key}}`).
    var all: [String: String] { Self.table.mapValues { language == .vi ? $0.0 : $0.1 } }

    var weekdays: [String] {
        language == .vi ? ["Thứ 2", "Thứ 3", "Thứ 4", "Thứ 5", "Thứ 6", "Thứ 7", "CN"] : ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    }

    func position(_ position: FunnelLimits.Position) -> String {
        switch position {
        case .within: self["posWithin"]
        case .above95: self["posAbove95"]
        case .above998: self["posAbove998"]
        case .below95: self["posBelow95"]
        case .below998: self["posBelow998"]
        }
    }

    /// An event as the dossier page lists it: "đánh giá 3", "phiên kết thúc: không đánh giá".
    func event(_ event: WireEvent) -> String {
        switch event.kind {
        case .rating: return self["event_rating"] + (event.level.map { " \($0)" } ?? "")
        case .session: return self["event_session"] + (event.outcome.map { ": " + self["outcome_" + $0.rawValue] } ?? "")
        default: return self["event_" + event.kind.rawValue]
        }
    }

    func period(_ name: ReportPeriod.Name) -> String {
        switch name {
        case .today: self["pToday"]
        case .last7Days: self["p7d"]
        case .last30Days: self["p30d"]
        case .month: self["pMonth"]
        case .quarter: self["pQuarter"]
        case .year: self["pYear"]
        }
    }

    private static let table: [String: (String, String)] = [
        "brand": ("Mức độ hài lòng", "Citizen satisfaction"),
        "skip": ("Bỏ qua, tới nội dung", "Skip to content"),
        "menu": ("Trình đơn", "Menu"),
        "breadcrumbs": ("Vị trí", "You are here"),
        "logout": ("Đăng xuất", "Sign out"),
        "signIn": ("Đăng nhập", "Sign in"),
        "username": ("Tên đăng nhập", "Username"),
        "password": ("Mật khẩu", "Password"),
        "home": ("Về trang chính", "Back to the start"),
        "footer": (
            "Tỉ lệ hài lòng = số đánh giá hài lòng / tổng số đánh giá; khoảng tin cậy 95 % theo Wilson. Nhóm có ít hơn số đánh giá tối thiểu được hiển thị nhưng không xếp hạng.",
            "Satisfaction = satisfied ratings / all ratings; 95 % Wilson interval. Groups under the minimum number of ratings are shown but never ranked."
        ),
        "navOverview": ("Tổng quan", "Overview"),
        "navClerks": ("Cán bộ", "Clerks"),
        "navCounters": ("Quầy", "Counters"),
        "navHeatmap": ("Theo giờ", "By hour"),
        "navBoards": ("Thiết bị", "Boards"),
        "navAlerts": ("Cảnh báo", "Alerts"),
        "navDossier": ("Tra cứu hồ sơ", "Dossier look-up"),
        "period": ("Khoảng thời gian", "Period"),
        "from": ("Từ ngày", "From"),
        "to": ("Đến ngày", "To"),
        "show": ("Xem", "Show"),
        "range": ("Đang xem", "Showing"),
        "timeZone": ("múi giờ", "time zone"),
        "pToday": ("Hôm nay", "Today"),
        "p7d": ("7 ngày", "7 days"),
        "p30d": ("30 ngày", "30 days"),
        "pMonth": ("Tháng này", "This month"),
        "pQuarter": ("Quý này", "This quarter"),
        "pYear": ("Năm nay", "This year"),
        "csv": ("Tải CSV", "Download CSV"),
        "satisfaction": ("Tỉ lệ hài lòng", "Satisfaction rate"),
        "n": ("Số đánh giá", "Ratings"),
        "interval": ("Khoảng tin cậy 95 %", "95 % interval"),
        "responseRate": ("Tỉ lệ phản hồi", "Response rate"),
        "rate": ("Tỉ lệ", "Rate"),
        "rank": ("Hạng", "Rank"),
        "insufficient": ("chưa đủ dữ liệu", "not enough data"),
        "insufficientNote": (
            "Chưa đủ số đánh giá tối thiểu: con số này chưa nói được nhiều.", "Fewer ratings than the minimum: this number cannot say much yet."
        ),
        "noData": ("Chưa có đánh giá nào trong khoảng thời gian này.", "No ratings in this period."),
        "liveOn": ("Tự cập nhật mỗi 5 giây.", "Updates itself every 5 seconds."),
        "liveUpdated": ("Đã cập nhật", "Updated"),
        "trend": ("Diễn biến", "Trend"),
        "trendDesc": (
            "{buckets} mốc có đánh giá, {sufficient} mốc đủ dữ liệu (điểm đặc, nối với nhau); điểm rỗng là mốc chưa đủ dữ liệu; dải mờ là khoảng tin cậy 95 %.",
            "{buckets} buckets with ratings, {sufficient} with enough data (solid, joined); hollow points have too few ratings; the shaded band is the 95 % interval."
        ),
        "bucketDay": ("theo ngày", "by day"),
        "bucketWeek": ("theo tuần", "by week"),
        "bucketMonth": ("theo tháng", "by month"),
        "bucket": ("Mốc", "Bucket"),
        "chartData": ("Số liệu của biểu đồ", "The chart's data"),
        "children": ("Các đơn vị trực thuộc", "Units below"),
        "unit": ("Đơn vị", "Unit"),
        "noChildren": ("Đơn vị này không có đơn vị trực thuộc.", "This unit has no units below it."),
        "clerksHeading": ("Cán bộ", "Clerks"),
        "countersHeading": ("Quầy", "Counters"),
        "clerk": ("Cán bộ", "Clerk"),
        "counter": ("Quầy", "Counter"),
        "rankingNote": (
            "Xếp theo cận dưới của khoảng tin cậy 95 %: người có ít đánh giá không thể đứng đầu chỉ nhờ may mắn. Hàng màu xám chưa đủ dữ liệu và không được xếp hạng.",
            "Ranked by the lower bound of the 95 % interval, so a small sample cannot top the table by luck. Grey rows have too few ratings and are not ranked."
        ),
        "funnel": ("Biểu đồ phễu", "Funnel plot"),
        "funnelDesc": (
            "Tỉ lệ hài lòng theo số đánh giá của {count} người/quầy đủ dữ liệu, quanh tỉ lệ chung của đơn vị {target}; đường trong là giới hạn 95 %, đường ngoài 99,8 %. {outside} điểm nằm ngoài giới hạn 99,8 %.",
            "Satisfaction rate against number of ratings for {count} with enough data, around the unit's own rate {target}; inner lines are the 95 % limits, outer lines 99.8 %. {outside} points lie outside the 99.8 % limits."
        ),
        "funnelHelp": (
            "Điểm tròn: không khác biệt so với tỉ lệ chung. Hình vuông: ngoài giới hạn 95 % (đáng chú ý). Hình thoi: ngoài giới hạn 99,8 % (thật sự khác biệt).",
            "Circle: no different from the unit's rate. Square: outside the 95 % limits (worth a look). Diamond: outside the 99.8 % limits (really different)."
        ),
        "target": ("Tỉ lệ chung", "Unit's rate"),
        "limit95": ("Giới hạn 95 %", "95 % limits"),
        "limit998": ("Giới hạn 99,8 %", "99.8 % limits"),
        "position": ("Trên biểu đồ phễu", "On the funnel plot"),
        "posWithin": ("trong giới hạn", "within the limits"),
        "posAbove95": ("cao hơn (ngoài 95 %)", "higher (outside 95 %)"),
        "posAbove998": ("cao hơn rõ rệt (ngoài 99,8 %)", "clearly higher (outside 99.8 %)"),
        "posBelow95": ("thấp hơn (ngoài 95 %)", "lower (outside 95 %)"),
        "posBelow998": ("thấp hơn rõ rệt (ngoài 99,8 %)", "clearly lower (outside 99.8 %)"),
        "heatmap": ("Tỉ lệ không hài lòng theo giờ và thứ", "Share dissatisfied by hour and weekday"),
        "heatmapDesc": (
            "Mỗi ô là một giờ trong tuần theo giờ địa phương của đơn vị; màu càng đậm càng nhiều người không hài lòng; ô có dấu * và gạch chéo có ít đánh giá. Tổng cộng {total} đánh giá.",
            "Each cell is an hour of the week in the unit's local time; darker means more dissatisfied; cells marked * and hatched have few ratings. {total} ratings in all."
        ),
        "hour": ("Giờ", "Hour"),
        "dissatisfied": ("không hài lòng", "dissatisfied"),
        "smallN": ("* ít đánh giá, chưa đủ dữ liệu", "* few ratings, not enough data"),
        "boardsHeading": ("Thiết bị tại quầy", "Counter boards"),
        "board": ("Thiết bị", "Board"),
        "lastSeen": ("Lần cuối liên lạc", "Last seen"),
        "never": ("chưa bao giờ", "never"),
        "backlog": ("Chờ gửi", "Backlog"),
        "clock": ("Đồng hồ", "Clock"),
        "clockOk": ("đã đồng bộ", "synchronised"),
        "clockBad": ("CHƯA đồng bộ", "NOT synchronised"),
        "faults": ("Lỗi", "Faults"),
        "version": ("Phiên bản", "Version"),
        "state": ("Trạng thái", "State"),
        "silent": ("Im lặng trong giờ làm việc", "Silent during opening hours"),
        "revoked": ("đã thu hồi", "revoked"),
        "notEnrolled": ("chưa kích hoạt", "not enrolled"),
        "ok": ("bình thường", "normal"),
        "neverHeard": ("chưa liên lạc lần nào", "never heard from"),
        "faulty": ("có lỗi", "faulty"),
        "ratingsInPeriod": ("Đánh giá trong kỳ", "Ratings in the period"),
        "noClerk": ("(không gắn với cán bộ)", "(no clerk)"),
        "event_rating": ("đánh giá", "rating"),
        "event_suppressed": ("lần bấm bị bỏ qua", "press ignored"),
        "event_session": ("phiên phục vụ kết thúc", "session closed"),
        "event_clerkSignin": ("cán bộ đăng nhập", "clerk signed in"),
        "event_clerkSignout": ("cán bộ đăng xuất", "clerk signed out"),
        "event_fault": ("lỗi thiết bị", "board fault"),
        "noBoards": ("Chưa có thiết bị nào.", "No boards yet."),
        "alertsHeading": ("Cảnh báo", "Alerts"),
        "alertKind": ("Loại", "Kind"),
        "alertAt": ("Lúc", "When"),
        "alertMessage": ("Nội dung", "What"),
        "acknowledge": ("Xác nhận đã biết", "Acknowledge"),
        "acknowledged": ("Đã xác nhận", "Acknowledged"),
        "comment": ("Ghi chú", "Comment"),
        "noAlerts": ("Không có cảnh báo nào.", "No alerts."),
        "ackDone": ("Đã xác nhận cảnh báo.", "Alert acknowledged."),
        "ackNone": ("Cảnh báo không còn hoặc đã được xác nhận.", "The alert is gone or was acknowledged already."),
        "kind_countMismatch": ("Lệch số liệu thiết bị/máy chủ", "Board/server count mismatch"),
        "kind_burst": ("Nhiều đánh giá không hài lòng", "Burst of dissatisfied ratings"),
        "kind_silentBoard": ("Thiết bị im lặng", "Silent board"),
        "kind_boardFault": ("Thiết bị báo lỗi", "Board fault"),
        "dossierHeading": ("Tra cứu hồ sơ", "Dossier look-up"),
        "dossierCode": ("Mã hồ sơ", "Dossier code"),
        "lookUp": ("Tra cứu", "Look up"),
        "dossierNotFound": ("Không tìm thấy hồ sơ này trong phạm vi của bạn.", "No such dossier within your units."),
        "outcome": ("Kết quả phiên", "Session outcome"),
        "outcome_rated": ("đã đánh giá", "rated"),
        "outcome_unrated": ("không đánh giá", "not rated"),
        "outcome_open": ("đang phục vụ", "still open"),
        "rating": ("Đánh giá", "Rating"),
        "ratedAt": ("Thời điểm đánh giá", "Rated at"),
        "events": ("Sự kiện", "Events"),
        "eventKind": ("Sự kiện", "Event"),
        "loginFailed": ("Sai tên đăng nhập hoặc mật khẩu.", "Wrong username or password."),
        "loginThrottled": ("Đăng nhập sai quá nhiều lần, thử lại sau {s} giây.", "Too many failed sign-ins; try again in {s} s."),
        "loginExpired": ("Phiên làm việc đã hết hạn, xin đăng nhập lại.", "Your session has expired; please sign in again."),
        "loginBusy": ("Máy chủ đang bận, xin thử lại.", "The server is busy; please try again."),
        "forbidden": ("Không được phép", "Not allowed"),
        "notFound": ("Không tìm thấy", "Not found"),
        "badRequest": ("Yêu cầu không hợp lệ", "Bad request"),
        "failed": ("Có lỗi", "Something went wrong"),
        "unavailable": ("Tạm thời không phục vụ được", "Temporarily unavailable"),
        "storeUnavailable": (
            "Cơ sở dữ liệu chưa trả lời. Xin thử lại sau ít phút.",
            "The database did not answer. Please try again in a few minutes."
        ),
        "csrfRefused": (
            "Biểu mẫu đã cũ hoặc không hợp lệ (thiếu mã chống giả mạo). Hãy tải lại trang và thử lại.",
            "The form is stale or not valid (its anti-forgery token is missing). Reload the page and try again."
        ),
        "badPeriod": ("Khoảng thời gian không hợp lệ", "Not a valid period"),
        "pages": ("Các trang", "Pages"),
        "pager": ("Trang {page}/{pages} · dòng {from}–{to} trong {total}", "Page {page} of {pages} · rows {from}–{to} of {total}"),
        "previousPage": ("← Trang trước", "← Previous"),
        "nextPage": ("Trang sau →", "Next →"),
    ]
}
