print("wordcount v1")
