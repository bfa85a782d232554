import GRDB
import Hummingbird
import Yams
import ServiceLifecycle
import Logging
