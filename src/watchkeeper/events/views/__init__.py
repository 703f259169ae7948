"""The alert console's pages: the live list, one alert, and the actions' forms."""
