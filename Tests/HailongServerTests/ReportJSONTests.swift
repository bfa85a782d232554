import Foundation
import HailongDomain
@testable import HailongServer
import Testing

