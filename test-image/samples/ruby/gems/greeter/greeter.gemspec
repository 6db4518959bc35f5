Gem::Specification.new do |s|
  s.name = "greeter"
  s.version = "0.1.0"
  s.summary = "A path gem of the image tests' ruby sample"
  s.authors = ["create-fly-multiproc"]
  s.files = ["lib/greeter.rb"]
  s.license = "MIT"
end
