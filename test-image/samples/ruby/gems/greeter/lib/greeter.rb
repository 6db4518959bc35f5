module Greeter
  def self.greet(who) = "hello from #{who}"
end
