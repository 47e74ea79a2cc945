"""EU Digital Services Act: statements of reasons (Art. 17) in the shape the Commission's DSA
Transparency Database takes them (Art. 24(5)). Domain core: no I/O, no framework; the HTTP client
is ``lovemachine.adapters.transparency_db``."""
