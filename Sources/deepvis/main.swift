print("deepvis")
