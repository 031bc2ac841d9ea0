print("litellm v2")
