import Hummingbird

/// `GET /v1/models`: the base model and every adapter version.
struct ModelsController: Sendable {
    let serving: Serving

    func addRoutes(to group: some RouterMethods<ServerContext>) {
        group.get("models") { _, _ in try json(try serving.ready().modelList()) }
    }
}
