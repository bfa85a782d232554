/// One page of a long list. The clerks and counters of a province or a ministry are thousands of
/// rows: a page shows `size` of them, ranked over the whole list (the CSV has them all).
struct Paging: Equatable {
    static let rankingSize = 100

    /// From 1.
    var page: Int
    var pages: Int
    /// The rows of this page, as indices into the whole list.
    var rows: Range<Int>

    /// `asked` is the query's `page` (1 when absent). A page past the last is the last (the
    /// list may have shrunk since the link was made); anything but a whole number ≥ 1 is a 400.
    init(total: Int, size: Int, asked: String?) throws {
        pages = max(1, (total + size - 1) / size)
        page = 1
        if let asked {
            guard let number = Int(asked), number >= 1 else {
                throw APIError.badRequest("page must be a whole number ≥ 1 / số trang phải là số nguyên ≥ 1: \(asked.prefix(40))")
            }
            page = min(number, pages)
        }
        rows = min(total, (page - 1) * size)..<min(total, page * size)
    }
}

/// The links under a paged table: where this page is, and the pages either side.
struct Pager: Sendable {
    var text: String
    var previous: String?
    var next: String?

    /// Nil when everything fits on one page. `link(n)` is page n's address.
    init?(_ paging: Paging, total: Int, text: WebText, format: WebFormat, link: (Int) -> String) {
        guard paging.pages > 1 else { return nil }
        self.text = text["pager"]
            .replacingOccurrences(of: "{page}", with: String(paging.page))
            .replacingOccurrences(of: "{pages}", with: String(paging.pages))
            .replacingOccurrences(of: "{from}", with: format.integer(Int64(paging.rows.lowerBound + 1)))
            .replacingOccurrences(of: "{to}", with: format.integer(Int64(paging.rows.upperBound)))
            .replacingOccurrences(of: "{total}", with: format.integer(Int64(total)))
        previous = paging.page > 1 ? link(paging.page - 1) : nil
        next = paging.page < paging.pages ? link(paging.page + 1) : nil
    }
}
