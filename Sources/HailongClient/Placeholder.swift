public let _hailongClientPlaceholder = 0
