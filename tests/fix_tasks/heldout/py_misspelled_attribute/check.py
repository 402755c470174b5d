from cart import Cart

assert Cart().add("pen", 2).add("ink").count() == 3
