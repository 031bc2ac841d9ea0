"""Stands in for real work: sleeps between MIN and MAX seconds, fails with probability P."""
import random, sys, time

low, high, p = (float(a) for a in sys.argv[1:4])
time.sleep(random.uniform(low, high))
if random.random() < p:
    sys.exit("simulated failure")
