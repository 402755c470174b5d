class Cart:
    def __init__(self):
        self.items = []

    def add(self, name, quantity=1):
        self.items.append((name, quantity))
        return self

    def count(self):
        return sum(q for _, q in self.items)
